"""The sidebar on every page: project picker, backend settings and status, annotator."""

from __future__ import annotations

import streamlit as st

from components.state import get_backend
from seedbed.llm import BackendConfig, BackendError, local_backend
from seedbed.store import Store

_KINDS = {
    "embedded": "Embedded SmolLM2-135M (offline demo)",
    "openai": "OpenAI-compatible server",
}


def _project_picker(store: Store) -> None:
    projects = store.list_projects()
    if not projects:
        st.session_state.pop("project_id", None)
        st.caption("No project yet: create one on the Overview page.")
        return
    names = {project.id: project.name for project in projects}
    if st.session_state.get("project_id") not in names:
        st.session_state["project_id"] = projects[0].id
    # "project_id" is plain state that pages read and set; the widget mirrors it.
    # Streamlit drops a widget's own key on runs where it is not drawn.
    st.session_state["sidebar_project"] = st.session_state["project_id"]
    st.selectbox(
        "Project",
        list(names),
        format_func=names.get,
        key="sidebar_project",
        on_change=lambda: st.session_state.update(project_id=st.session_state.sidebar_project),
    )


def _backend_settings() -> None:
    env = BackendConfig.from_env()
    st.session_state.setdefault("backend_kind", env.kind)
    st.session_state.setdefault("backend_model", env.model or "gpt-4o-mini")
    st.session_state.setdefault("backend_base_url", env.base_url)
    kind = st.radio("Backend", list(_KINDS), format_func=_KINDS.get, key="backend_kind")
    if kind == "openai":
        st.text_input("Base URL", key="backend_base_url", placeholder="https://api.openai.com/v1")
        st.text_input("Model", key="backend_model")
        st.text_input(
            "API key",
            key="backend_api_key",
            type="password",
            help="Kept in this browser session only; never stored. OPENAI_API_KEY works too.",
        )
    st.session_state["backend_config"] = BackendConfig(
        kind=kind,
        model=st.session_state["backend_model"] if kind == "openai" else "",
        base_url=st.session_state["backend_base_url"] if kind == "openai" else "",
    )
    _backend_status(kind)


def _backend_status(kind: str) -> None:
    if kind == "embedded":
        state = "loaded" if local_backend.is_loaded() else "loads on first use (about 20 s)"
        st.caption(
            f"A 135M-parameter model running here, no key, no network; {state}. "
            "Good for trying the workflow, too small for real training data."
        )
        return
    if st.button("Test connection", key="backend_test"):
        try:
            models = get_backend().list_models()
            st.success(f"Connected: {len(models)} models available.")
        except BackendError as error:
            st.error(str(error))


def render_sidebar(store: Store) -> None:
    with st.sidebar:
        _project_picker(store)
        st.divider()
        _backend_settings()
        st.divider()
        st.session_state.setdefault("annotator", "annotator")
        st.text_input("Annotator", key="annotator", help="Recorded with each review decision.")
