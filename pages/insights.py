"""Insights: diversity and bias of any selection of candidates, or of two side by side."""

import streamlit as st

from components.embedding import measured
from components.filter_panel import candidate_filter_panel
from components.insights.conversations import conversations_section, selection_conversations
from components.insights.cost import cost_tab
from components.insights.data import comparison, selection_report
from components.insights.duplicates import duplicates_tab
from components.insights.measures import headline
from components.insights.presets import PRESETS, apply_preset, describe
from components.insights.sections import coverage_tab, diversity_tab, map_tab
from components.insights.utility import utility_tab
from components.router import require_router
from components.state import get_store, plain, require_project
from seedbed.store.options import filter_options

require_router()  # first: no page runs without app.py's sign-in check

store = get_store()
project = require_project(store)
options = filter_options(store, project)
dimensions = store.list_dimensions(project.id)

st.title("Insights")
st.caption(
    "Diversity and bias measured as the AttrPrompt paper does (Yu et al., 2023), on any "
    "selection of candidates, live while you curate."
)

compare = st.toggle("Compare two selections", key="insights_compare")
if compare:
    st.segmented_control(
        "Quick comparison",
        list(PRESETS),
        format_func=PRESETS.get,
        key="insights_preset",
        on_change=apply_preset,
        args=(options,),
    )
    columns = st.columns(2)
    with columns[0]:
        where_a = candidate_filter_panel("insights_a", options, "Selection A", per_row=2)
    with columns[1]:
        where_b = candidate_filter_panel(
            "insights_b", options, "Selection B", default_statuses=["rejected"], per_row=2
        )
    filters = {describe(where_a, options): where_a, describe(where_b, options): where_b}
    if len(filters) == 1:  # the same description twice: name them apart
        filters = {"A": where_a, "B": where_b}
else:
    where_a = candidate_filter_panel("insights_a", options, "Candidates to measure")
    filters = {describe(where_a, options): where_a}

reports = measured(
    lambda: {
        name: selection_report(store, project, where, dimensions) for name, where in filters.items()
    }
)
if reports is None:
    st.stop()  # new texts are being embedded on the server: the bar shows how far
too_small = [name for name, report in reports.items() if report.size < 2]
if too_small:
    st.info(
        "Measures need at least two candidates in each selection ("
        + ", ".join(plain(name) for name in too_small)
        + " has fewer): accept some on the Review page or widen the selection."
    )
    st.page_link("pages/review.py", label="Go to Review", icon=":material/fact_check:")
    st.stop()

# Two selections are compared at equal size; one is measured whole.
compared = comparison(store, project, *filters.values()) if len(filters) == 2 else None
headline(reports, compared)
chats = {
    name: found
    for name, where in filters.items()
    if (found := selection_conversations(store, project, where)) is not None
}
names = ["Diversity", "Embedding map", "Bias and coverage", "Utility check", "Duplicates"]
names += ["Cost per good item"] + (["Conversations"] if chats else [])
diversity, mapped, coverage, utility, duplicates, cost, *conversations = st.tabs(names)
with diversity:
    diversity_tab(reports, compared)
with mapped:
    focus = map_tab(reports)
    if focus is not None:
        st.session_state["review_focus_id"] = focus
        st.switch_page("pages/review.py")
with coverage:
    coverage_tab(reports, dimensions)
with utility:
    utility_tab(store, project, filters)
with duplicates:
    duplicates_tab(store, project, filters)
with cost:
    cost_tab(store, project)
if chats:
    with conversations[0]:
        conversations_section(chats)
