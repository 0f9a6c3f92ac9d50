"""The dimension and value tables: edit, check and save the project's attributes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.attributes.common import ALL_LABELS, save, table_keys
from components.state import plain
from seedbed.attributes import dimensions_from_rows, dimensions_to_rows
from seedbed.methods.attrprompt import combination_count
from seedbed.models import AttributeDimension, Project
from seedbed.store.core import Store


def dimension_tables(
    store: Store, project: Project, dimensions: list[AttributeDimension]
) -> str | None:
    """Draw both tables and their Save button.

    Returns why other changes must wait (unsaved or invalid edits), or None.
    """
    names_key, values_key = table_keys(project.id)
    names_frame, values_frame = dimensions_to_rows(dimensions)
    st.subheader("Dimensions")
    names = st.data_editor(
        pd.DataFrame(names_frame, columns=["name", "description"]),
        key=names_key,
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
    values = st.data_editor(
        pd.DataFrame(values_frame, columns=["dimension", "label", "value", "weight"]).fillna(
            {"label": ALL_LABELS}
        ),
        key=values_key,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "dimension": st.column_config.SelectboxColumn(
                "Dimension", options=dimension_names, required=True
            ),
            "label": st.column_config.SelectboxColumn(
                "Label", options=[ALL_LABELS, *project.labels], default=ALL_LABELS, required=True
            ),
            "value": st.column_config.TextColumn("Value", width="large", required=True),
            "weight": st.column_config.NumberColumn(
                "Weight", min_value=0.01, default=1.0, step=0.1
            ),
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
        st.error(plain(problem))
    unsaved = bool(problems) or edited != [d.model_copy(update={"id": None}) for d in dimensions]
    if not problems and unsaved:
        after = combination_count(edited, project.labels)
        st.caption(f"Unsaved changes: {after:,} combinations after saving.")
        if st.button("Save attributes", type="primary"):
            save(store, project.id, edited)
    return "Save or undo the table edits above first." if unsaved else None
