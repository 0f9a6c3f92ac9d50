"""What the Attributes panels share: asking the model, saving the dimensions, table cells."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from components.state import get_backend, plain
from seedbed.errors import BackendError, StoreError
from seedbed.models import AttributeDimension, GenerationParams, Message
from seedbed.store.core import Store

ALL_LABELS = "(every label)"


def table_keys(project_id: int) -> tuple[str, str]:
    """The widget keys of the dimension and value tables of one project."""
    return f"attributes_names_{project_id}", f"attributes_values_{project_id}"


def ask(requests: list[list[Message]], params: GenerationParams) -> list[str] | None:
    """The backend's replies to `requests`, or None after showing why there are none."""
    try:
        backend = get_backend()
        with st.spinner("Asking the model…"):
            results = backend.generate(requests, params)
    except BackendError as error:
        st.error(plain(str(error)))
        return None
    errors = [result.error for result in results if result.error]
    if errors:
        st.error(plain(f"{len(errors)} of {len(results)} requests failed: {errors[0]}"))
        return None
    return [result.text for result in results]


def save(store: Store, project_id: int, dimensions: Sequence[AttributeDimension]) -> None:
    """Store `dimensions` and rerun, or show why the store refused them."""
    try:
        store.replace_dimensions(project_id, dimensions)
    except StoreError as error:
        st.error(plain(str(error)))
        return
    for key in table_keys(project_id):  # the table editors show the saved state again
        st.session_state.pop(key, None)
    st.rerun()


def cell(value: object) -> str:
    """An edited table cell as text ('' when the user cleared it)."""
    return "" if value is None or pd.isna(value) else str(value).strip()


def digest(rows: list) -> str:
    """A short key for a table's rows: a new table of proposals gets a fresh editor."""
    return hashlib.sha1(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:12]
