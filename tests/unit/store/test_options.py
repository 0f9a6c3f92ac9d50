"""What a candidate filter offers: the distinct values of one project's candidates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    Candidate,
    Check,
    Project,
    ProjectKind,
    Review,
)
from seedbed.store import schema as t
from seedbed.store.core import Store
from seedbed.store.options import filter_options

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(every_store: Store) -> Store:
    return every_store


@pytest.fixture
def project(store: Store) -> Project:
    project_id = store.create_project(
        Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["sports", "health"])
    )
    return store.get_project(project_id)


def add(store: Store, project: Project, label: str, **fields) -> int:
    return store.add_candidate(
        Candidate(
            project_id=project.id,
            content={"text": f"A {label} text.", "label": label},
            label=label,
            method=fields.pop("method", "attrprompt"),
            created_at=fields.pop("created_at", START),
            **fields,
        )
    )


def test_options_list_methods_labels_annotators_jobs_and_dates(
    store: Store, project: Project
) -> None:
    with store.engine.begin() as conn:
        job_id = conn.execute(
            insert(t.jobs).values(
                project_id=project.id,
                method="attrprompt",
                status="done",
                settings={},
                created_at=datetime.now(UTC),
            )
        ).inserted_primary_key[0]
    add(store, project, "sports", job_id=job_id)
    late = START + timedelta(days=3)
    other = add(store, project, "other label", method="class_conditional", created_at=late)
    store.record_review(Review(candidate_id=other, decision="rejected", annotator="bo"))

    options = filter_options(store, project)
    assert options.methods == ["attrprompt", "class_conditional"]
    assert options.labels == ["sports", "other label"]  # project order first, unused dropped
    assert options.annotators == ["bo"]
    assert list(options.jobs) == [job_id]
    assert options.jobs[job_id].startswith(f"job {job_id} · attrprompt · ")
    assert (options.first_created, options.last_created) == (START, late)


def test_options_list_failed_checks_and_every_attribute_value(
    store: Store, project: Project
) -> None:
    store.replace_dimensions(
        project.id,
        [
            AttributeDimension(
                name="length",
                values=[AttributeValue(value="short")],
                per_label={"sports": [AttributeValue(value="long")]},
            )
        ],
    )
    failed = [Check(name="length", passed=False), Check(name="refusal", passed=False)]
    add(store, project, "sports", checks=failed)
    add(store, project, "health", checks=[Check(name="novelty", passed=True)])

    options = filter_options(store, project)
    assert options.failed_checks == ["length", "refusal"]
    # Values nobody generated yet are offered too: they come from the dimensions.
    assert options.attributes == {"length": ["long", "short"]}


def test_an_empty_project_offers_nothing(store: Store, project: Project) -> None:
    options = filter_options(store, project)
    assert (options.methods, options.labels, options.jobs) == ([], [], {})
    assert options.first_created is None and options.last_created is None
