"""Attributes: the dimensions AttrPrompt varies (length, style, subtopic, ...) and their values."""

import pandas as pd
import streamlit as st

from components.state import get_store, require_project
from seedbed.attributes import dimensions_from_rows, dimensions_to_rows
from seedbed.methods.attrprompt import combination_count
from seedbed.store import StoreError

ALL_LABELS = "(every label)"

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

names_frame, values_frame = dimensions_to_rows(dimensions)
st.subheader("Dimensions")
names = st.data_editor(
    pd.DataFrame(names_frame, columns=["name", "description"]),
    key=f"attributes_names_{project.id}",
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    column_config={
        "name": st.column_config.TextColumn("Dimension", required=True),
        "description": st.column_config.TextColumn("Description", width="large"),
    },
)
dimension_names = [str(n) for n in names["name"].dropna() if str(n).strip()]

st.subheader("Values")
label_options = [ALL_LABELS, *project.labels]
values = st.data_editor(
    pd.DataFrame(values_frame, columns=["dimension", "label", "value", "weight"]).fillna(
        {"label": ALL_LABELS}
    ),
    key=f"attributes_values_{project.id}",
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    column_config={
        "dimension": st.column_config.SelectboxColumn(
            "Dimension", options=dimension_names, required=True
        ),
        "label": st.column_config.SelectboxColumn(
            "Label", options=label_options, default=ALL_LABELS, required=True
        ),
        "value": st.column_config.TextColumn("Value", width="large", required=True),
        "weight": st.column_config.NumberColumn("Weight", min_value=0.01, default=1.0, step=0.1),
    },
)

edited, problems = dimensions_from_rows(
    names.to_dict("records"),
    [
        {**row, "label": None if row["label"] == ALL_LABELS else row["label"]}
        for row in values.to_dict("records")
    ],
    project.labels,
)
for problem in problems:
    st.error(problem)
if not problems and edited != [d.model_copy(update={"id": None}) for d in dimensions]:
    st.caption(
        f"Unsaved changes: {combination_count(edited, project.labels):,} combinations after saving."
    )
    if st.button("Save attributes", type="primary"):
        try:
            store.replace_dimensions(project.id, edited)
            st.rerun()
        except StoreError as error:
            st.error(str(error))
