"""Names, descriptions, labels and server messages are shown as typed: never as markdown
or HTML (no image loads, no link appears), in the app and in the dataset card."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from seedbed.files.card import CardFacts, render_card
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.models import AttributeDimension, AttributeValue, Project, ProjectKind
from seedbed.store.core import Store
from tests.app.test_pages import open_app

HOSTILE = "**bold** ![x](http://evil/p.png) <img src=x>"
# What rendered markdown or HTML would need to find in an element's text (`\<img` is
# markdown for a literal `<img`).
RAW = ("**bold**", "![x](", "<img")
UNESCAPED = re.compile(r"\*\*bold\*\*|!\[x\]\(|(?<!\\)<img")
RENDERING = ("title", "header", "subheader", "markdown", "caption")
RENDERING += ("error", "warning", "info", "success")


def _rendered_texts(at) -> list[str]:
    texts = [str(e.value) for kind in RENDERING for e in at.get(kind)]
    texts += [str(e.value) for kind in RENDERING for e in at.sidebar.get(kind)]
    return texts + [w.label for w in at.multiselect]


def _assert_escaped(at) -> None:
    texts = _rendered_texts(at)
    for text in texts:
        assert not UNESCAPED.search(text), text
    assert any("evil" in text for text in texts)  # it is shown, escaped


@pytest.fixture
def hostile_project(store: Store) -> int:
    project = Project(
        name=f"P {HOSTILE}",
        kind=ProjectKind.CLASSIFICATION,
        description=HOSTILE,
        labels=[f"a {HOSTILE}", "b"],
    )
    project_id = store.create_project(project)
    dimension = AttributeDimension(name=f"d {HOSTILE}", values=[AttributeValue(value="v")])
    store.replace_dimensions(project_id, [dimension])
    return project_id


def test_the_overview_shows_names_descriptions_and_labels_as_text(
    store: Store, hostile_project: int
) -> None:
    at = open_app(project_id=hostile_project)
    _assert_escaped(at)
    assert HOSTILE in [t.value for t in at.text]  # the description, verbatim


def test_similar_to_labels_and_the_filter_panel_show_names_as_text(
    store: Store, hostile_project: int
) -> None:
    _assert_escaped(open_app("attributes", project_id=hostile_project))
    _assert_escaped(open_app("export", project_id=hostile_project))


def test_a_server_error_on_generate_is_shown_as_text(store: Store, hostile_project: int) -> None:
    job_id = jobs.create_job(store, hostile_project, JobSettings(method="attrprompt", n=1))
    jobs.claim_job(store, job_id, "test")
    jobs.finish_job(store, job_id, "test", JobStatus.FAILED, 1.0, f"Server said: {HOSTILE}")
    at = open_app("generate", project_id=hostile_project, generate_last=job_id)
    errors = [e.value for e in at.error]
    assert any("Server said" in e for e in errors), errors
    _assert_escaped(at)


def test_the_dataset_card_quotes_user_text_literally() -> None:
    project = Project(name=f"P {HOSTILE}", description=HOSTILE, labels=[HOSTILE, "b"])
    facts = CardFacts(
        project=project,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        license="cc-by-4.0",
        selection=f"label {HOSTILE}",
        dedup="none",
        split="none",
        split_counts={"train": 2},
        labels={"train": Counter({HOSTILE: 1, "b": 1})},
        attributes={HOSTILE: Counter({HOSTILE: 2})},
        models=Counter({HOSTILE: 2}),
    )
    card = render_card(facts)
    body = card.split("\n---\n", 1)[1]  # the YAML header quotes the name as JSON
    for raw in RAW:
        assert raw not in body
    assert "&lt;img src=x&gt;" in body and "\\*\\*bold\\*\\*" in body
