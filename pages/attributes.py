"""Attributes: the dimensions AttrPrompt varies, LLM proposals, and the similar-label check."""

import streamlit as st

from components.attributes.import_files import attribute_files_panel
from components.attributes.propose import proposal_panel
from components.attributes.similar import similar_labels_panel
from components.attributes.tables import dimension_tables
from components.router import require_router
from components.state import get_store, require_project
from seedbed.methods.attrprompt import combination_count

require_router()  # first: no page runs without app.py's sign-in check

store = get_store()
project = require_project(store)
dimensions = store.list_dimensions(project.id)

st.title("Attribute dimensions")
st.caption(
    "AttrPrompt samples one value of every dimension for each request, with your weights, "
    "so the data varies along axes you chose. A value tied to a label (a subtopic, say) is "
    "used only for that label."
)
st.metric("Attribute combinations", f"{combination_count(dimensions, project.labels):,}")

# Proposals and removals wait while the tables hold unsaved edits, so none is lost.
busy = dimension_tables(store, project, dimensions)
proposal_panel(store, project, dimensions, busy)
attribute_files_panel(store, project, dimensions, busy)
if len(project.labels) >= 2:
    similar_labels_panel(store, project, dimensions, busy)
