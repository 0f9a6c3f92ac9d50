"""Shared handles for every page: the store, the current project, the chosen backend."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from seedbed.llm import BackendConfig, ChatBackend, env_timeout, local_backend, make_backend
from seedbed.llm.settings import save_backend_settings
from seedbed.models import Project
from seedbed.store.core import Store, database_url


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def get_store() -> Store:
    """The process-wide store for DATABASE_URL (or data/seedbed.db)."""
    return _store(database_url())


@st.cache_resource(show_spinner=False)
def preload_embedded_model() -> None:
    """Start loading the embedded model on a background thread, once per server process,
    when it is the default backend: by the first click on Generate it is ready.

    SEEDBED_PRELOAD=0 turns this off (the tests and the idle benchmark: work on a core
    they would otherwise count).
    """
    if os.environ.get("SEEDBED_PRELOAD", "1") == "0":
        return
    if BackendConfig.from_env().kind == "embedded":
        local_backend.start_loading()


def settings_user() -> str:
    """Whose settings these are: the signed-in name, or "" when sign-in is off."""
    user = st.session_state.get("auth_user")
    return user.name if user is not None else ""


def current_project(store: Store) -> Project | None:
    """The project picked in the sidebar, or None when there is none."""
    project_id = st.session_state.get("project_id")
    return store.get_project(project_id) if project_id is not None else None


def require_project(store: Store) -> Project:
    """The current project; stops the page with a hint when there is none."""
    project = current_project(store)
    if project is None:
        st.info("Pick or create a project first (sidebar, or the Overview page).")
        st.stop()
    # Named on every page that changes data, so nobody edits one project thinking of another.
    st.caption(f"Project: **{plain(project.name)}**")
    return project


def backend_config() -> BackendConfig:
    """The backend the sidebar's settings describe (with the extra request parameters)."""
    return st.session_state.setdefault("backend_config", BackendConfig.from_env())


def typed_backend() -> BackendConfig:
    """The backend fields as typed, kept even while the embedded model is picked."""
    return BackendConfig(
        kind=st.session_state["backend_kind"],
        model=st.session_state["backend_model"],
        base_url=st.session_state["backend_base_url"],
        extra_body=st.session_state.get("backend_extra_body", {}),
        timeout=st.session_state.get("backend_timeout") or env_timeout(),
    )


def keep_backend_settings(store: Store) -> None:
    """Store the typed backend fields for this user when they changed (never the key)."""
    typed = typed_backend()
    if st.session_state.get("backend_saved") != typed:
        save_backend_settings(store, settings_user(), typed)
        st.session_state["backend_saved"] = typed


def set_extra_params(store: Store, extra: dict[str, Any]) -> BackendConfig:
    """Use (and keep) `extra` as the request parameters; returns the backend with them."""
    st.session_state["backend_extra_body"] = extra
    config = backend_config().model_copy(update={"extra_body": extra})
    st.session_state["backend_config"] = config
    keep_backend_settings(store)
    return config


def api_key() -> str | None:
    """The key typed in the sidebar (session only, never stored), else the environment's."""
    return st.session_state.get("backend_api_key") or None


def get_backend(model: str | None = None) -> ChatBackend:
    """A backend for the sidebar's settings, asking for `model` instead of the sidebar's
    model when given (a second judge on the same server); raises BackendError when
    they are unusable."""
    config = backend_config()
    if model is not None and config.kind != "embedded":
        config = config.model_copy(update={"model": model})
    return make_backend(config, api_key())


def keep_across_pages(key: str, default: Any) -> None:
    """Call before drawing widget `key`: it shows the value it had when the user left the
    page (Streamlit drops a widget's value on runs where its page is not shown)."""
    kept = f"kept_{key}"
    if key in st.session_state:
        st.session_state[kept] = st.session_state[key]
    else:
        st.session_state[key] = st.session_state.get(kept, default)


def is_admin() -> bool:
    """True unless sign-in is on and the user is an annotator (who only reviews)."""
    user = st.session_state.get("auth_user")
    return user is None or user.is_admin


def annotator() -> str:
    return st.session_state.setdefault("annotator", "annotator")


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:")


def plain(text: str) -> str:
    """`text` with every markdown special character escaped, for captions and messages
    that mix our words with user or model text (names, model ids, file problems)."""
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in text)


def show_text(text: str) -> None:
    """Show model output as plain text: never markdown, never HTML."""
    st.text(text if text else "(empty)")
