"""Attribute dimensions as editable table rows, and back."""

from __future__ import annotations

from seedbed.attributes import dimensions_from_rows, dimensions_to_rows
from seedbed.models import AttributeDimension, AttributeValue

LABELS = ["sports", "health"]


def sample_dimensions() -> list[AttributeDimension]:
    return [
        AttributeDimension(
            name="length",
            description="How long the text is",
            values=[AttributeValue(value="short", weight=2.0), AttributeValue(value="long")],
        ),
        AttributeDimension(
            name="subtopic",
            per_label={
                "sports": [AttributeValue(value="tennis"), AttributeValue(value="rugby")],
                "health": [AttributeValue(value="nutrition", weight=0.5)],
            },
        ),
    ]


def test_rows_round_trip() -> None:
    dimensions = sample_dimensions()
    names, values = dimensions_to_rows(dimensions)

    assert names == [
        {"name": "length", "description": "How long the text is"},
        {"name": "subtopic", "description": ""},
    ]
    assert {"dimension": "length", "label": None, "value": "short", "weight": 2.0} in values
    assert {
        "dimension": "subtopic",
        "label": "health",
        "value": "nutrition",
        "weight": 0.5,
    } in values
    rebuilt, problems = dimensions_from_rows(names, values, LABELS)
    assert problems == []
    assert rebuilt == dimensions


def test_blank_rows_are_skipped_and_a_blank_weight_means_one() -> None:
    names = [{"name": " style ", "description": None}, {"name": "", "description": "x"}]
    values = [
        {"dimension": "style", "label": None, "value": " formal ", "weight": None},
        {"dimension": "style", "label": float("nan"), "value": "casual", "weight": float("nan")},
        {"dimension": "style", "label": None, "value": "   ", "weight": 3},
        {"dimension": None, "label": None, "value": None, "weight": None},
    ]
    [dimension], problems = dimensions_from_rows(names, values, LABELS)
    assert problems == []
    assert dimension.name == "style"
    assert dimension.description == ""
    assert [(v.value, v.weight) for v in dimension.values] == [("formal", 1.0), ("casual", 1.0)]


def test_problems_name_the_value_row() -> None:
    names = [{"name": "length", "description": ""}, {"name": "length", "description": "again"}]
    values = [
        {"dimension": "length", "label": None, "value": "short", "weight": 1},
        {"dimension": "colour", "label": None, "value": "red", "weight": 1},
        {"dimension": "length", "label": "cooking", "value": "long", "weight": 1},
        {"dimension": "length", "label": None, "value": "medium", "weight": 0},
        {"dimension": "length", "label": None, "value": "huge", "weight": "lots"},
        {"dimension": "length", "label": "sports", "value": "tiny", "weight": "2.5"},
    ]

    [dimension], problems = dimensions_from_rows(names, values, LABELS)

    assert problems == [
        "Dimension 'length' appears twice.",
        "Value row 2: pick one of the dimensions above.",
        "Value row 3: 'cooking' is not a label of this project.",
        "Value row 4: the weight must be a number above 0.",
        "Value row 5: the weight must be a number above 0.",
    ]
    assert [v.value for v in dimension.values] == ["short"]
    assert [(v.value, v.weight) for v in dimension.per_label["sports"]] == [("tiny", 2.5)]


def test_a_label_typed_with_spaces_still_matches() -> None:
    names = [{"name": "subtopic", "description": ""}]
    values = [{"dimension": "subtopic", "label": " sports ", "value": "golf", "weight": 1}]
    [dimension], problems = dimensions_from_rows(names, values, LABELS)
    assert problems == []
    assert [v.value for v in dimension.per_label["sports"]] == ["golf"]
