"""Validation tells the user what is wrong, in words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    Candidate,
    GenerationParams,
    Instance,
    Project,
    ProjectKind,
    SeedTask,
)


def test_blank_project_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="the project name is empty"):
        Project(name="   ")


def test_classification_project_needs_two_labels() -> None:
    with pytest.raises(ValidationError, match="at least two labels"):
        Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["sports", "  "])


def test_labels_must_be_unique_after_trimming() -> None:
    with pytest.raises(ValidationError, match="labels must be unique"):
        Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["sports", " sports "])


def test_labels_are_trimmed_and_blank_ones_dropped() -> None:
    project = Project(name="News", kind="classification", labels=[" sports", "", "health "])
    assert project.labels == ["sports", "health"]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Project(name="News", colour="blue")
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SeedTask(instruction="x", instances=[{"output": "y"}], typo=True)


def test_seed_task_needs_an_instruction_and_an_output() -> None:
    with pytest.raises(ValidationError, match="the instruction is empty"):
        SeedTask(instruction=" \n ", instances=[Instance(output="y")])
    with pytest.raises(ValidationError, match="at least one instance"):
        SeedTask(instruction="Do it.", instances=[])
    with pytest.raises(ValidationError, match="every instance needs a non-empty output"):
        SeedTask(instruction="Do it.", instances=[Instance(output="ok"), Instance(output=" ")])


@pytest.mark.parametrize("weight", [0, -1.5])
def test_attribute_weight_must_be_positive(weight: float) -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        AttributeValue(value="short", weight=weight)


def test_per_label_values_replace_the_shared_ones() -> None:
    dimension = AttributeDimension(
        name="subtopic",
        values=[AttributeValue(value="general")],
        per_label={"sports": [AttributeValue(value="tennis")]},
    )
    assert [v.value for v in dimension.values_for("sports")] == ["tennis"]
    assert [v.value for v in dimension.values_for("health")] == ["general"]
    assert [v.value for v in dimension.values_for(None)] == ["general"]


def test_candidate_final_content_and_text() -> None:
    content = {"instruction": "Add.", "input": "2 + 3", "output": "5"}
    candidate = Candidate(project_id=1, content=content, method="self_instruct")
    assert candidate.final_content == content
    assert candidate.text == "Add.\n2 + 3\n5"

    edited = candidate.model_copy(update={"edited_content": {"text": "Edited", "label": "x"}})
    assert edited.final_content == {"text": "Edited", "label": "x"}
    assert edited.text == "Edited"


def test_generation_params_bounds() -> None:
    with pytest.raises(ValidationError):
        GenerationParams(temperature=2.5)
    with pytest.raises(ValidationError):
        GenerationParams(top_p=0)
    with pytest.raises(ValidationError):
        GenerationParams(max_tokens=0)
