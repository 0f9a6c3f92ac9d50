"""Attribute values from files (the AttrPrompt repository's layout), previewed per label."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.attributes.common import ALL_LABELS, save
from components.import_panel import show_problems
from seedbed.errors import InputError
from seedbed.files.attribute_files import (
    PER_LABEL_DIMENSION,
    dimensions_from_files,
    files_from_zip,
    merge_dimensions,
    planned_values,
)
from seedbed.models import AttributeDimension, Project
from seedbed.store.core import Store

_SHOWN_VALUES = 3


def _per_label_guess(dimensions: list[AttributeDimension]) -> str:
    """Where loose per-label files go: the project's one per-label dimension, if it has one."""
    per_label = [dimension.name for dimension in dimensions if dimension.per_label]
    return per_label[0] if len(per_label) == 1 else PER_LABEL_DIMENSION


def _uploaded_files(uploads: list) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    problems = []
    for upload in uploads:
        if upload.name.lower().endswith(".zip"):
            try:
                files.update(files_from_zip(upload.getvalue()))
            except InputError as error:  # unreadable, or past a size limit (named)
                problems.append(f"{upload.name}: skipped ({error})")
        else:
            files[upload.name] = upload.getvalue()
    return files, problems


def attribute_files_panel(
    store: Store, project: Project, dimensions: list[AttributeDimension], busy: str | None
) -> None:
    """Upload value files, see what each label gains, then add; waits while `busy` says why."""
    st.subheader("Import value files")
    st.caption(
        "Plain text, one value a line, as in the AttrPrompt repository: a zip of its folders "
        "(`style/style.txt`, `subtopics/<label>.jsonl`) or the loose files. A file named after "
        "a label holds that label's values; any other file is a dimension of its own name."
    )
    uploads = st.file_uploader(
        "Value files or a zip",
        type=["txt", "jsonl", "zip"],
        accept_multiple_files=True,
        key=f"attributes_files_{project.id}",
    )
    if not uploads:
        return
    per_label = st.text_input(
        "Dimension of loose per-label files",
        value=_per_label_guess(dimensions),
        key=f"attributes_files_dimension_{project.id}",
    )
    files, problems = _uploaded_files(uploads)
    found = dimensions_from_files(files, project.labels, per_label)
    show_problems(problems + found.problems)
    plan = planned_values(dimensions, found.dimensions)
    if not plan:
        st.info("Nothing to add from these files.")
        return
    rows = [
        {
            "dimension": row.dimension + (" (new)" if row.new_dimension else ""),
            "label": row.label or ALL_LABELS,
            "new values": len(row.new),
            "already here": row.already,
            "first new values": ", ".join(row.new[:_SHOWN_VALUES]),
        }
        for row in plan
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    adding = sum(len(row.new) for row in plan)
    if busy:
        st.caption(busy)
    if st.button(
        f"Add {adding} new values",
        key="attributes_files_add",
        disabled=bool(busy) or adding == 0,
    ):
        save(store, project.id, merge_dimensions(dimensions, found.dimensions))
