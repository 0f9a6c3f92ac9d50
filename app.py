"""Seedbed: the router. Pages live in pages/; the logic lives in seedbed/."""

import streamlit as st

from components.sidebar import render_sidebar
from components.state import get_store

st.set_page_config(page_title="Seedbed", page_icon="🌱", layout="wide")

store = get_store()
render_sidebar(store)

navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/seeds.py", title="Seeds", icon=":material/spa:"),
        st.Page("pages/attributes.py", title="Attributes", icon=":material/tune:"),
        st.Page("pages/generate.py", title="Generate", icon=":material/auto_awesome:"),
        st.Page("pages/review.py", title="Review", icon=":material/fact_check:"),
        st.Page("pages/insights.py", title="Insights", icon=":material/insights:"),
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
    ]
)
navigation.run()
