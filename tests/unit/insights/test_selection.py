"""Reading a selection column by column, and its version key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seedbed.insights.selection import fetch_rows, selection_version
from seedbed.models import (
    ACCEPTED,
    Candidate,
    CandidateFilter,
    Project,
    ProjectKind,
    Review,
)
from seedbed.store.core import Store

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def project(store: Store) -> Project:
    project_id = store.create_project(
        Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["sports", "health"])
    )
    return store.get_project(project_id)


def add(store: Store, project: Project, text: str, label: str, **fields) -> int:
    return store.add_candidate(
        Candidate(
            project_id=project.id,
            content={"text": text, "label": label},
            label=label,
            method=fields.pop("method", "attrprompt"),
            created_at=fields.pop("created_at", START),
            **fields,
        )
    )


def test_fetch_rows_matches_full_candidates(store: Store, project: Project) -> None:
    first = add(store, project, "Goal!", "sports", attributes={"place": "Lima"}, job_id=None)
    second = add(store, project, "Clinic opens.", "health", method="class_conditional")
    add(store, project, "Another goal.", "sports")
    store.record_review(
        Review(
            candidate_id=second,
            decision="accepted",
            annotator="ana",
            edited_content={"text": "A clinic opens.", "label": "health"},
        )
    )
    rows = fetch_rows(store, project.id)
    candidates = list(store.iter_candidates(project.id))

    assert rows.ids.tolist() == [c.id for c in candidates]
    assert rows.texts == [c.text for c in candidates]  # the edit, not the original
    assert rows.texts[1] == "A clinic opens."
    assert rows.labels == ["sports", "health", "sports"]
    assert rows.attributes[0] == {"place": "Lima"}
    assert rows.methods == ["attrprompt", "class_conditional", "attrprompt"]
    assert rows.statuses == ["pending", "accepted", "pending"]
    assert rows.annotators == [None, "ana", None]
    assert rows.created_at[0] == START and rows.reviewed_at[1].tzinfo is not None
    assert first == rows.ids[0]


def test_fetch_rows_applies_the_filter_in_batches(store: Store, project: Project) -> None:
    ids = [add(store, project, f"Match report {i}.", "sports") for i in range(7)]
    for candidate_id in ids[::2]:
        store.record_review(Review(candidate_id=candidate_id, decision="accepted", annotator="a"))
    rows = fetch_rows(store, project.id, ACCEPTED, batch=2)
    assert rows.ids.tolist() == ids[::2]
    assert rows.texts == [f"Match report {i}." for i in (0, 2, 4, 6)]
    assert len(fetch_rows(store, project.id, CandidateFilter(labels=["health"]))) == 0


def test_take_keeps_columns_together(store: Store, project: Project) -> None:
    for i in range(4):
        add(store, project, f"text {i}", "sports" if i % 2 else "health")
    part = fetch_rows(store, project.id).take([3, 0])
    assert part.texts == ["text 3", "text 0"]
    assert part.labels == ["sports", "health"]
    assert len(part) == 2 and part.ids.tolist()[0] > part.ids.tolist()[1]


def test_version_changes_with_rows_and_decisions(store: Store, project: Project) -> None:
    candidate_id = add(store, project, "Goal!", "sports")
    everything = selection_version(store, project.id)
    accepted = selection_version(store, project.id, ACCEPTED)
    assert selection_version(store, project.id) == everything  # stable while nothing happens
    assert accepted[0] == 0

    store.record_review(Review(candidate_id=candidate_id, decision="accepted", annotator="a"))
    assert selection_version(store, project.id) != everything
    after_accept = selection_version(store, project.id, ACCEPTED)
    assert after_accept[0] == 1

    # An edit of an accepted item changes its text: the key must change too.
    store.record_review(
        Review(
            candidate_id=candidate_id,
            decision="accepted",
            annotator="a",
            edited_content={"text": "Goal.", "label": "sports"},
            created_at=datetime.now(UTC) + timedelta(seconds=1),
        )
    )
    assert selection_version(store, project.id, ACCEPTED) != after_accept
    add(store, project, "Another goal.", "sports")
    assert selection_version(store, project.id)[0] == 2
