"""Every page through Streamlit's AppTest, driving widgets by key as a user would."""

from __future__ import annotations

import json
import os
import re

from streamlit.testing.v1 import AppTest

from seedbed.models import Candidate
from seedbed.store.core import Store
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


def seen(markdown: str) -> str:
    """What a reader sees of a message that escapes markdown (components.state.plain)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def openai_settings(server: FakeOpenAIServer, key: str = "test-key") -> dict[str, str]:
    """What a user types into the sidebar to use an OpenAI-compatible server."""
    return {
        "backend_kind": "openai",
        "backend_base_url": server.base_url,
        "backend_model": "fake-model",
        "backend_api_key": key,
    }


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
    warnings = [seen(w.value) for w in at.warning]
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


# -- attributes: tests/app/test_attributes.py ------------------------------------


# -- generate: tests/app/test_generate.py ----------------------------------------


# -- insights: tests/app/test_insights.py; export: tests/app/test_export.py ------------
