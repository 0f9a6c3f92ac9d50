"""Shared handles for every page: the store, the current project, the chosen backend."""

from __future__ import annotations

import os

import streamlit as st

from seedbed.llm import BackendConfig, ChatBackend, local_backend, make_backend
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

    SEEDBED_PRELOAD=0 turns this off (the tests and the idle benchmark: it is 20 s of
    work on a core they would otherwise count).
    """
    if os.environ.get("SEEDBED_PRELOAD", "1") == "0":
        return
    if BackendConfig.from_env().kind == "embedded":
        local_backend.start_loading()


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
    return project


def backend_config() -> BackendConfig:
    return st.session_state.setdefault("backend_config", BackendConfig.from_env())


def api_key() -> str | None:
    """The key typed in the sidebar (session only, never stored), else the environment's."""
    return st.session_state.get("backend_api_key") or None


def get_backend() -> ChatBackend:
    """A backend for the sidebar's settings; raises BackendError when they are unusable."""
    return make_backend(backend_config(), api_key())


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
