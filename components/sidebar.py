"""The sidebar on every page: project picker, backend settings and status, annotator."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st

from components.auth import sign_out_button
from components.state import (
    get_backend,
    keep_backend_settings,
    plain,
    settings_user,
)
from seedbed.auth import User
from seedbed.errors import BackendError, InputError
from seedbed.llm import BackendConfig, checked_base_url, local_backend
from seedbed.llm.settings import load_backend_settings
from seedbed.store.core import Store

_KINDS = {
    "embedded": "Embedded SmolLM2-135M (offline demo)",
    "openai": "OpenAI-compatible server",
}


def _mirrored(widget: Callable[..., Any], label: str, state_key: str, *args: Any, **kwargs: Any):
    """Draw `widget` over the plain session value `state_key` and copy changes back.

    Pages read plain keys. A widget's own key is dropped by Streamlit on page
    switches and on runs where it is not drawn, which lost the annotator name
    and the backend settings when a user changed pages.
    """
    widget_key = f"sidebar_{state_key}"
    st.session_state[widget_key] = st.session_state[state_key]

    def copy_back() -> None:
        st.session_state[state_key] = st.session_state[widget_key]

    return widget(label, *args, key=widget_key, on_change=copy_back, **kwargs)


def _project_in_url() -> int | None:
    """The project a link or a reloaded page names (`?project=<id>`), if it is a number."""
    value = st.query_params.get("project", "")
    return int(value) if value.isdigit() else None


def _project_picker(store: Store) -> None:
    projects = store.list_projects()
    if not projects:
        st.session_state.pop("project_id", None)
        st.query_params.pop("project", None)
        st.caption("No project yet: create one on the Overview page.")
        return
    names = {project.id: project.name for project in projects}
    if "project_id" not in st.session_state:  # a new session (reload, new tab, link)
        st.session_state["project_id"] = _project_in_url()
    if st.session_state.get("project_id") not in names:
        st.session_state["project_id"] = projects[0].id
    _mirrored(st.selectbox, "Project", "project_id", list(names), format_func=names.get)
    # The URL names the project on every run (a page switch drops query parameters),
    # so a reload, a bookmark or a shared link opens the same project.
    st.query_params["project"] = str(st.session_state["project_id"])


def _load_backend_settings(store: Store) -> None:
    """Fill the backend fields of a new session: this user's last settings, else the
    environment's."""
    if "backend_saved" in st.session_state:
        return
    config = load_backend_settings(store, settings_user()) or BackendConfig.from_env()
    config = config.model_copy(update={"model": config.model or "gpt-4o-mini"})
    st.session_state.setdefault("backend_kind", config.kind)
    st.session_state.setdefault("backend_model", config.model)
    st.session_state.setdefault("backend_base_url", config.base_url)
    st.session_state.setdefault("backend_extra_body", config.extra_body)
    st.session_state.setdefault("backend_timeout", config.timeout)
    # Only a change is stored: an untouched session keeps following the environment.
    st.session_state["backend_saved"] = config


def _backend_settings(store: Store) -> None:
    _load_backend_settings(store)
    st.session_state.setdefault("backend_api_key", "")
    kind = _mirrored(st.radio, "Backend", "backend_kind", list(_KINDS), format_func=_KINDS.get)
    if kind == "openai":
        _mirrored(
            st.text_input, "Base URL", "backend_base_url", placeholder="https://api.openai.com/v1"
        )
        _mirrored(st.text_input, "Model", "backend_model")
        _mirrored(
            st.text_input,
            "API key",
            "backend_api_key",
            type="password",
            help="Kept in this browser session only; never stored. OPENAI_API_KEY works too.",
        )
        _mirrored(
            st.number_input,
            "Timeout (s)",
            "backend_timeout",
            min_value=1.0,
            max_value=3600.0,
            help="How long one reply may take. A local server answering one request at a "
            "time needs more than a cloud API. SEEDBED_TIMEOUT sets the default.",
        )
    _refuse_credentials(kind)
    st.session_state["backend_config"] = BackendConfig(
        kind=kind,
        model=st.session_state["backend_model"] if kind == "openai" else "",
        base_url=st.session_state["backend_base_url"] if kind == "openai" else "",
        extra_body=st.session_state.get("backend_extra_body", {}) if kind == "openai" else {},
        timeout=st.session_state["backend_timeout"],
    )
    keep_backend_settings(store)
    _backend_status(kind)


def _refuse_credentials(kind: str) -> None:
    """Say why a key inside a base URL is dropped (BackendConfig keeps the URL without it)."""
    if kind != "openai":
        return
    sources = {"Base URL": st.session_state["backend_base_url"]}
    sources["OPENAI_BASE_URL"] = os.environ.get("OPENAI_BASE_URL", "")
    for source, url in sources.items():
        try:
            checked_base_url(url)
        except InputError as error:
            st.error(plain(f"{source}: {error}"))


def _backend_status(kind: str) -> None:
    if kind == "embedded":
        state = "loaded" if local_backend.is_loaded() else "loading (a few seconds after start)"
        st.caption(
            f"A 135M-parameter model running here, no key, no network; {state}. "
            "Good for trying the workflow, too small for real training data."
        )
        return
    base_url = st.session_state["backend_base_url"]
    if st.button("Test connection", key="backend_test"):
        try:
            st.session_state["backend_models"] = (base_url, get_backend().list_models())
        except BackendError as error:
            st.session_state.pop("backend_models", None)
            st.error(plain(str(error)))
    tested_url, models = st.session_state.get("backend_models", ("", []))
    if tested_url != base_url:  # the list belongs to the server it came from
        return
    st.success(f"Connected: {len(models)} model{'' if len(models) == 1 else 's'} available.")
    if models:
        current = st.session_state["backend_model"]

        def use_choice() -> None:
            st.session_state["backend_model"] = st.session_state["sidebar_model_choice"]

        st.selectbox(
            "Models on this server",
            models,
            index=models.index(current) if current in models else None,
            placeholder="Pick one to use it",
            key="sidebar_model_choice",
            on_change=use_choice,
        )


def render_sidebar(store: Store, user: User | None = None) -> None:
    """Project picker, then backend settings (admins only) and who is annotating."""
    with st.sidebar:
        _project_picker(store)
        st.divider()
        if user is None or user.is_admin:
            _backend_settings(store)
            st.divider()
        if user is None:
            st.session_state.setdefault("annotator", "annotator")
            _mirrored(st.text_input, "Annotator", "annotator", help="Recorded with each decision.")
        else:
            st.session_state["annotator"] = user.name  # signed in: decisions carry the user name
            sign_out_button(user)
