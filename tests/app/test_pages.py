"""Every page through Streamlit's AppTest, driving widgets by key as a user would."""

from __future__ import annotations

import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from seedbed.models import Candidate, CandidateStatus, Review
from seedbed.store import Store
from tests.conftest import ROOT
from tests.fake_openai_server import FakeOpenAIServer

TIMEOUT = 60


def open_app(page: str | None = None, project: str | None = None, **state: object) -> AppTest:
    """The app as a fresh browser session sees it, on `page` with `project` picked.

    Session state is set before the first run, as the sidebar's widgets would set
    it: AppTest (Streamlit 1.67) drops sidebar elements after the first run of an
    st.navigation app, so the tests cannot click them on later runs. The sidebar
    itself is exercised on first runs here and in the browser tests.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if project is not None:
        at.session_state["project_id"] = project_id(Store(os.environ["DATABASE_URL"]), project)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    if page is not None:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def project_id(store: Store, name: str) -> int:
    return next(p.id for p in store.list_projects() if p.name == name)


def add_candidate(store: Store, project: str, **content: str) -> int:
    pid = project_id(store, project)
    label = content.get("label")
    return store.add_candidate(
        Candidate(project_id=pid, content=content, method="attrprompt", label=label)
    )


# -- overview -------------------------------------------------------------
def test_empty_database_offers_presets_and_loads_one(store: Store) -> None:
    at = open_app()
    assert "No project yet" in at.sidebar.caption[0].value
    assert at.sidebar.radio(key="sidebar_backend_kind").value == "embedded"
    at.button(key="overview_load_news-topics").click().run()
    assert [p.name for p in store.list_projects()] == ["News topic classification"]
    assert at.session_state["project_id"] == project_id(store, "News topic classification")
    assert at.header[0].value == "News topic classification"


def test_sidebar_lists_the_projects(demo_store: Store) -> None:
    at = open_app()
    picker = at.sidebar.selectbox(key="sidebar_project_id")
    assert picker.options == [
        "General instruction tuning",
        "News topic classification",
    ]


def test_new_project_form_reports_invalid_input(store: Store) -> None:
    at = open_app()
    form = at.get("form")[0]
    form.text_input[0].input("Mine")
    form.radio[0].set_value("classification")
    form.text_input[1].input("only-one")
    form.button[0].click()
    at.run()
    assert "at least two labels" in at.error[0].value
    assert store.list_projects() == []


# -- seeds -----------------------------------------------------------------
def test_seeds_page_lists_the_tasks(demo_store: Store) -> None:
    at = open_app("seeds")
    table = at.data_editor[0].value
    tasks = demo_store.list_seed_tasks(project_id(demo_store, "General instruction tuning"))
    assert len(table) == len(tasks)
    assert list(table["instruction"]) == [task.instruction for task in tasks]


def test_seed_import_reports_bad_lines_and_imports_the_good_ones(demo_store: Store) -> None:
    pid = project_id(demo_store, "General instruction tuning")
    before = len(demo_store.list_seed_tasks(pid))
    good = {"instruction": "Name a colour.", "instances": [{"input": "", "output": "Teal"}]}
    text = "\n".join(
        [json.dumps(good), "{not json", json.dumps({"instruction": "No instances."})]
    ).encode()
    at = open_app("seeds")
    at.file_uploader(key="seeds_upload").set_value(("seeds.jsonl", text, "application/jsonl"))
    at.run()
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Skipped line 2: not valid JSON") for w in warnings)
    assert any("line 3" in w and "instances" in w for w in warnings)
    assert len(demo_store.list_seed_tasks(pid)) == before  # nothing lands before the click
    at.button(key="seeds_import").click().run()
    tasks = demo_store.list_seed_tasks(pid)
    assert len(tasks) == before + 1
    assert tasks[-1].instruction == "Name a colour."


def test_seed_export_is_self_instruct_jsonl(demo_store: Store) -> None:
    at = open_app("seeds")
    assert at.get("download_button")[0].proto.label == "Download seed_tasks.jsonl"


# -- attributes --------------------------------------------------------------
def test_attributes_page_counts_combinations(demo_store: Store) -> None:
    at = open_app("attributes", project="News topic classification")
    assert at.metric[0].value == "70,760"
    names = at.data_editor[0].value
    assert list(names["name"]) == ["length", "style", "subtopic", "location"]


def test_attributes_page_without_dimensions_counts_zero(demo_store: Store) -> None:
    at = open_app("attributes", project="General instruction tuning")
    assert at.metric[0].value == "0"


# -- generate -------------------------------------------------------------------
def openai_settings(server: FakeOpenAIServer, key: str = "test-key") -> dict[str, str]:
    """What a user types into the sidebar to use an OpenAI-compatible server."""
    return {
        "backend_kind": "openai",
        "backend_base_url": server.base_url,
        "backend_model": "fake-model",
        "backend_api_key": key,
    }


def test_generate_shows_the_exact_prompt(demo_store: Store) -> None:
    at = open_app("generate", project="News topic classification")
    prompt = at.code[0].value
    assert prompt.startswith('Write one news article whose topic is "business"')
    assert "1. Length:" in prompt and "4. Location:" in prompt


def test_generate_preview_stores_pending_candidates(demo_store: Store) -> None:
    reply = "Sure! Here is the article:\nHarbour workers in Mombasa ended a strike on Tuesday."
    with FakeOpenAIServer(reply=lambda _: reply, api_key="test-key") as server:
        at = open_app("generate", "News topic classification", **openai_settings(server))
        at.slider(key="generate_n").set_value(2)
        at.button(key="generate_run").click().run()
    assert not at.exception, at.exception
    pid = project_id(demo_store, "News topic classification")
    stored = demo_store.list_candidates(pid)
    assert [c.status for c in stored] == [CandidateStatus.PENDING] * 2
    # Requests run concurrently, so they are stored in the order they finish.
    assert sorted(c.label for c in stored) == ["business", "politics"]
    assert all(c.content == {"text": reply.split("\n")[1], "label": c.label} for c in stored)
    assert "2 new candidates" in at.subheader[-1].value
    # The next preview differs: the seed moved on.
    assert at.number_input(key="generate_seed").value == 1


def test_generate_with_a_wrong_key_says_so_and_stores_nothing(demo_store: Store) -> None:
    with FakeOpenAIServer(api_key="right-key") as server:
        at = open_app(
            "generate", "News topic classification", **openai_settings(server, "wrong-key-123")
        )
        at.button(key="generate_run").click().run()
    assert "rejected the API key" in at.error[0].value
    assert "wrong-key-123" not in at.error[0].value
    assert demo_store.count_by_status(project_id(demo_store, "News topic classification")) == {
        "pending": 0,
        "accepted": 0,
        "rejected": 0,
    }


# -- review ---------------------------------------------------------------------
@pytest.fixture
def two_pending(demo_store: Store) -> list[int]:
    return [
        add_candidate(demo_store, "News topic classification", text=text, label="sports")
        for text in ("First match report.", "Second match report.")
    ]


def test_review_accept_and_reject_are_stored_at_once(demo_store: Store, two_pending) -> None:
    at = open_app("review", project="News topic classification")
    assert "First match report." in [t.value for t in at.text]
    at.button(key="review_accept").click().run()
    assert demo_store.get_candidate(two_pending[0]).status == CandidateStatus.ACCEPTED
    assert "Second match report." in [t.value for t in at.text]
    at.button(key="review_reject").click().run()
    assert demo_store.get_candidate(two_pending[1]).status == CandidateStatus.REJECTED
    assert at.success[0].value == "Nothing is waiting for review."
    assert demo_store.list_reviews(two_pending[0])[0].annotator == "annotator"


def test_review_edit_keeps_the_original(demo_store: Store, two_pending) -> None:
    at = open_app("review", project="News topic classification")
    at.text_area(key=f"review_edit_{two_pending[0]}_text").input("An edited report.")
    at.selectbox[-1].set_value("health")
    at.get("form")[0].button[0].click()
    at.run()
    candidate = demo_store.get_candidate(two_pending[0])
    assert candidate.status == CandidateStatus.ACCEPTED
    assert candidate.content["text"] == "First match report."
    assert candidate.final_content == {"text": "An edited report.", "label": "health"}


def test_review_skip_moves_on_without_deciding(demo_store: Store, two_pending) -> None:
    at = open_app("review", project="News topic classification")
    at.button(key="review_skip").click().run()
    assert "Second match report." in [t.value for t in at.text]
    assert demo_store.get_candidate(two_pending[0]).status == CandidateStatus.PENDING


def test_review_shows_markup_as_text(demo_store: Store) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    add_candidate(demo_store, "News topic classification", text=hostile, label="sports")
    at = open_app("review", project="News topic classification")
    assert hostile in [t.value for t in at.text]
    assert not any(hostile in m.value for m in at.markdown)


# -- insights and export ----------------------------------------------------------
def accept_all(store: Store, ids: list[int]) -> None:
    for candidate_id in ids:
        store.record_review(Review(candidate_id=candidate_id, decision="accepted", annotator="t"))


@pytest.mark.slow
def test_insights_measures_the_accepted_set(demo_store: Store) -> None:
    texts = {
        "sports": "The home team won the cup final after extra time.",
        "business": "Shares in the airline rose after strong quarterly profits.",
        "health": "A new clinic opened to cut waiting times for patients.",
    }
    ids = [
        add_candidate(demo_store, "News topic classification", text=t, label=label)
        for label, t in texts.items()
    ]
    accept_all(demo_store, ids)
    at = open_app("insights", project="News topic classification")
    aps = float(at.metric[0].value)
    assert 0.0 < aps < 0.5
    assert len(at.get("plotly_chart")) == 2


def test_insights_asks_for_more_data_when_empty(demo_store: Store) -> None:
    at = open_app("insights", project="News topic classification")
    assert "at least two candidates" in at.info[0].value


def test_export_offers_the_accepted_records(demo_store: Store) -> None:
    ids = [
        add_candidate(demo_store, "News topic classification", text="Café opens.", label="business")
    ]
    accept_all(demo_store, ids)
    at = open_app("export", project="News topic classification")
    first = json.loads(at.code[0].value.splitlines()[0])
    assert first["input"] == "Café opens." and first["output"] == "business"
    at.radio(key="export_format").set_value("openai_chat").run()
    record = json.loads(at.code[0].value.splitlines()[0])
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
