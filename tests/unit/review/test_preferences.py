"""Preference pairs: two completions of one prompt, a human verdict, rows the DPO export reads."""

from __future__ import annotations

import pytest

from seedbed.errors import BackendError
from seedbed.models import Candidate, CandidateStatus, Message, Project, ProjectKind
from seedbed.review import preferences
from seedbed.store.core import Store
from tests.fakes import FakeBackend


@pytest.fixture
def store(every_store: Store) -> Store:
    return every_store


@pytest.fixture
def project(store: Store) -> Project:
    project = Project(name="Pairs")
    return project.model_copy(update={"id": store.create_project(project)})


def completion(store: Store, project: Project, instruction: str, output: str) -> int:
    content = {"instruction": instruction, "input": "", "output": output}
    return store.add_candidate(
        Candidate(project_id=project.id, content=content, method="self_instruct")
    )


def test_two_completions_of_one_prompt_make_a_pair(store: Store, project: Project) -> None:
    lone = completion(store, project, "Name a fruit.", "Apple")
    first = completion(store, project, "Name a colour.", "Teal")
    second = completion(store, project, "Name a colour.", "Olive")
    pair = preferences.next_pair(store, project, "ana")
    assert pair.prompt == "Name a colour."
    assert {pair.a.id, pair.b.id} == {first, second}
    assert preferences.pairable_groups(store, project) == [[first, second]]
    assert preferences.lone_completion(store, project).id == lone


def test_the_fingerprint_changes_when_a_completion_is_added(store, project) -> None:
    before = preferences.candidates_fingerprint(store, project.id)
    completion(store, project, "Name a colour.", "Teal")
    assert preferences.candidates_fingerprint(store, project.id) != before


def test_a_verdict_is_stored_once_per_annotator(store: Store, project: Project) -> None:
    completion(store, project, "Name a colour.", "Teal")
    completion(store, project, "Name a colour.", "Olive")
    pair = preferences.next_pair(store, project, "ana")
    preferences.record_preference(store, pair, "b", "ana")
    assert preferences.next_pair(store, project, "ana") is None
    assert preferences.next_pair(store, project, "ben") is not None
    [row] = preferences.iter_preference_pairs(store, project.id)
    assert (row["chosen"], row["rejected"]) == (
        pair.b.content["output"],
        pair.a.content["output"],
    )
    assert (row["chosen_id"], row["rejected_id"], row["verdict"]) == (
        pair.b.id,
        pair.a.id,
        "better",
    )
    assert (row["prompt"], row["annotator"]) == ("Name a colour.", "ana")


def test_ties_and_both_bad_are_kept_but_not_exported_as_preferences(store, project) -> None:
    for output in ("Teal", "Olive", "Rust"):
        completion(store, project, "Name a colour.", output)
    verdicts = ["a", "tie", "both_bad"]
    for verdict in verdicts:  # three completions make three pairs
        preferences.record_preference(
            store, preferences.next_pair(store, project, "ana"), verdict, "ana"
        )
    assert preferences.next_pair(store, project, "ana") is None
    everything = list(preferences.iter_preference_pairs(store, project.id, decisive_only=False))
    assert [row["verdict"] for row in everything] == ["better", "tie", "both_bad"]
    assert len(list(preferences.iter_preference_pairs(store, project.id))) == 1
    with pytest.raises(ValueError, match="Unknown verdict"):
        preferences.record_preference(store, preferences.next_pair(store, project, "ben"), "c", "b")


def test_labelled_texts_pair_by_their_generation_prompt(store: Store) -> None:
    project = Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    project = project.model_copy(update={"id": store.create_project(project)})
    asked = [Message(role="user", content='Write one news article whose topic is "a".')]
    for text in ("First text.", "Second text."):
        store.add_candidate(
            Candidate(
                project_id=project.id,
                content={"text": text, "label": "a"},
                label="a",
                prompt=asked,
                method="attrprompt",
            )
        )
    pair = preferences.next_pair(store, project, "ana")
    assert pair.prompt == asked[0].content
    assert {preferences.completion_of(pair.a), preferences.completion_of(pair.b)} == {
        "First text.",
        "Second text.",
    }


def test_a_second_completion_is_asked_with_the_respond_prompt(store, project) -> None:
    first_id = completion(store, project, "Name a colour.", "Teal")
    first = store.get_candidate(first_id)
    backend = FakeBackend().enqueue("  Olive  ")
    second_id = preferences.add_second_completion(store, backend, first)
    second = store.get_candidate(second_id)
    [(messages, params)] = backend.calls
    assert messages[0].content == "Name a colour."
    assert params.temperature == 0.9
    assert second.content == {"instruction": "Name a colour.", "input": "", "output": "Olive"}
    assert second.status == CandidateStatus.PENDING
    assert second.lineage == {"completion_of": first_id}
    assert preferences.next_pair(store, project, "ana") is not None


@pytest.mark.parametrize(("reply", "message"), [("   ", "empty"), (None, "request failed")])
def test_a_failed_second_completion_stores_nothing(store, project, reply, message) -> None:
    first = store.get_candidate(completion(store, project, "Name a colour.", "Teal"))
    with pytest.raises(BackendError, match=message):
        preferences.add_second_completion(store, FakeBackend().enqueue(reply), first)
    assert store.count_candidates(project.id) == 1


def test_texts_without_a_stored_prompt_pair_with_nothing(store: Store) -> None:
    project = Project(name="Imported", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    project = project.model_copy(update={"id": store.create_project(project)})
    for text in ("Imported one.", "Imported two."):
        content = {"text": text, "label": "a"}
        store.add_candidate(Candidate(project_id=project.id, content=content, method="import"))
    assert preferences.next_pair(store, project, "ana") is None
    assert preferences.lone_completion(store, project) is None
