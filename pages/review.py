"""Review: decide candidates one at a time (queue), in bulk (table), or compare two
completions of one prompt (preference). Every decision is stored at once."""

import uuid

import streamlit as st

from components.review.preference import preference_mode
from components.review.queue import queue_mode, show_flash
from components.review.table import table_mode
from components.router import require_router
from components.state import annotator, get_store, require_project

require_router()  # first: no page runs without app.py's sign-in check

MODES = {"Queue": queue_mode, "Table": table_mode, "Preference": preference_mode}

store = get_store()
project = require_project(store)
counts = store.count_by_status(project.id)
# This browser session's identity for queue claims (the annotator name may be shared).
st.session_state.setdefault("review_owner", uuid.uuid4().hex)

st.title("Review")
columns = st.columns(3)
columns[0].metric("Pending", f"{counts['pending']:,}")
columns[1].metric("Accepted", f"{counts['accepted']:,}")
columns[2].metric("Rejected", f"{counts['rejected']:,}")

if not annotator().strip():
    st.warning("Enter your name as Annotator in the sidebar: it is recorded with each decision.")
    st.stop()
if "review_focus_id" in st.session_state:  # Insights or the table opened one candidate
    st.session_state["review_mode"] = "Queue"
st.session_state.setdefault("review_mode", "Queue")
mode = st.segmented_control("Mode", list(MODES), key="review_mode", label_visibility="collapsed")
show_flash()
MODES[mode or "Queue"](store, project)
