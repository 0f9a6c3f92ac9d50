"""The review text filter searches what a reviewer reads (the values), never the stored JSON:
a field name or JSON punctuation must not select every candidate for a bulk decision."""

from __future__ import annotations

import pytest

from seedbed.models import Candidate, CandidateFilter, Project, ProjectKind
from seedbed.review import bulk
from seedbed.store.core import Store


@pytest.fixture
def store(every_store: Store) -> Store:
    return every_store


def test_text_search_matches_values_not_field_names_or_json(store: Store) -> None:
    project_id = store.create_project(Project(name="Search", kind=ProjectKind.INSTRUCTION))

    def add(instruction: str, output: str, edited: str | None = None) -> int:
        content = {"instruction": instruction, "input": "", "output": output}
        edited_content = None if edited is None else {**content, "output": edited}
        return store.add_candidate(
            Candidate(
                project_id=project_id,
                content=content,
                edited_content=edited_content,
                method="self_instruct",
            )
        )

    quoted = add('Say "hello".', "Hello.")
    plain = add("Name a colour.", "Teal")
    edited = add("Name a fish.", "Cod", edited="Output: trout")

    def ids(text: str) -> list[int]:
        where = CandidateFilter(text=text)
        found = [c.id for c in store.iter_candidates(project_id, where)]
        assert store.count_candidates(project_id, where) == len(found)
        return found

    assert ids("output") == [edited]  # a field name of every candidate; one edit says it
    assert ids("instruction") == []
    assert ids('": "') == [] and ids('"input"') == []
    assert ids('"hello"') == [quoted]  # a quote is found as typed, not as \"
    assert ids("TEAL") == [plain]
    assert ids("trout") == [edited] and ids("cod") == [edited]  # edited or original

    # A bulk rejection by the same filter changes only what the filter shows.
    result = bulk.bulk_decide(
        store, project_id, CandidateFilter(text="output"), "rejected", "ana", "session-1"
    )
    assert result.changed == 1
    statuses = {c.id: c.status.value for c in store.iter_candidates(project_id)}
    assert statuses == {quoted: "pending", plain: "pending", edited: "rejected"}
