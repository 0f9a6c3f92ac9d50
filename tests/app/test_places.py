"""A reload, a new tab or a shared link opens the same place with the same backend."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from seedbed.store.core import Store
from tests.app.test_pages import TIMEOUT, open_app, project_id, seen
from tests.conftest import ROOT


def reloaded(url_project: int | None = None) -> AppTest:
    """A new browser session (what F5 or a new tab starts), at `?project=<id>` if given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if url_project is not None:
        at.query_params["project"] = str(url_project)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_url_names_the_project_picked(demo_store: Store) -> None:
    at = open_app(project="News topic classification")
    news = project_id(demo_store, "News topic classification")
    assert at.query_params["project"] == str(news)


def test_a_reload_opens_the_project_in_the_url(demo_store: Store) -> None:
    news = project_id(demo_store, "News topic classification")
    at = reloaded(news)
    assert at.sidebar.selectbox(key="sidebar_project_id").value == news
    assert at.header[0].value == "News topic classification"
    at.switch_page("pages/seeds.py").run()
    assert "News topic classification" in seen(at.caption[0].value)


def test_a_link_to_a_deleted_project_opens_the_first(demo_store: Store) -> None:
    at = reloaded(9999)
    first = demo_store.list_projects()[0]
    assert at.sidebar.selectbox(key="sidebar_project_id").value == first.id


def test_backend_settings_survive_a_new_session_without_the_key(store: Store) -> None:
    open_app(
        backend_kind="openai",
        backend_base_url="http://models.internal:8000/v1",
        backend_model="qwen-7b",
        backend_api_key="sk-secret",
    )
    at = reloaded()
    assert at.sidebar.radio(key="sidebar_backend_kind").value == "openai"
    assert at.sidebar.text_input(key="sidebar_backend_base_url").value == (
        "http://models.internal:8000/v1"
    )
    assert at.sidebar.text_input(key="sidebar_backend_model").value == "qwen-7b"
    assert at.sidebar.text_input(key="sidebar_backend_api_key").value == ""


def test_extra_request_parameters_survive_a_new_session(demo_store: Store) -> None:
    settings = {"backend_kind": "openai", "backend_model": "qwen-7b"}
    at = open_app("generate", project="General instruction tuning", **settings)
    at.text_input(key="generate_extra_params").input('{"top_k": 40}').run()
    assert not at.exception, at.exception
    at = reloaded()
    at.switch_page("pages/generate.py").run()
    assert at.text_input(key="generate_extra_params").value == '{"top_k": 40}'


def test_pages_that_change_data_name_the_project(demo_store: Store) -> None:
    for page in ("seeds", "attributes", "generate", "review"):
        at = open_app(page, project="News topic classification")
        captions = [seen(caption.value) for caption in at.caption]
        assert "Project: News topic classification" in [c.replace("*", "") for c in captions]
