"""Seedbed: the router. Pages live in pages/; the logic lives in seedbed/."""

import streamlit as st

from components.auth import require_user
from components.job_progress import resume_interrupted_jobs
from components.sidebar import render_sidebar
from components.state import get_store, preload_embedded_model

st.set_page_config(page_title="Seedbed", page_icon="🌱", layout="wide")
# Once per server process, on a background thread: the first page view starts it, and
# the model is ready by the time anyone clicks Generate.
preload_embedded_model()

# Sign-in first (when configured): nothing below runs for someone signed out.
user = require_user()
if user is None or user.is_admin:
    pages = [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/seeds.py", title="Seeds", icon=":material/spa:"),
        st.Page("pages/attributes.py", title="Attributes", icon=":material/tune:"),
        st.Page("pages/generate.py", title="Generate", icon=":material/auto_awesome:"),
        st.Page("pages/review.py", title="Review", icon=":material/fact_check:"),
        st.Page("pages/insights.py", title="Insights", icon=":material/insights:"),
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
    ]
else:  # annotators only review
    pages = [st.Page("pages/review.py", title="Review", icon=":material/fact_check:", default=True)]

store = get_store()
resume_interrupted_jobs(store)  # once per server process: jobs a dead process left
render_sidebar(store, user)
st.navigation(pages).run()
