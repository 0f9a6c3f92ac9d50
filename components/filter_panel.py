"""A compact panel that builds a CandidateFilter (export selection, review table)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from components.state import plain
from seedbed.models import CandidateFilter, CandidateStatus, Project
from seedbed.store.core import Store
from seedbed.store.options import filter_options

_CHECKS = {"any": "any", "flagged": "flagged by a check", "clean": "passed every check"}


def candidate_filter_panel(
    store: Store,
    project: Project,
    key_prefix: str,
    default_statuses: Sequence[str] = ("accepted",),
) -> CandidateFilter:
    """Draw the filter widgets (keys start with `key_prefix`) and return the filter they set.

    Empty widgets mean "any". Attribute values sit in an expander, one
    multiselect per dimension of the project.
    """
    options = filter_options(store, project)
    with st.container(border=True):
        row = st.columns(4)
        statuses = row[0].multiselect(
            "Status",
            [status.value for status in CandidateStatus],
            default=list(default_statuses),
            key=f"{key_prefix}_statuses",
            placeholder="any",
        )
        methods = row[1].multiselect(
            "Method", options.methods, key=f"{key_prefix}_methods", placeholder="any"
        )
        labels = row[2].multiselect(
            "Label", options.labels, key=f"{key_prefix}_labels", placeholder="any"
        )
        annotators = row[3].multiselect(
            "Annotator", options.annotators, key=f"{key_prefix}_annotators", placeholder="any"
        )
        row = st.columns([1, 1, 2])
        failed = row[0].multiselect(
            "Failed check", options.failed_checks, key=f"{key_prefix}_failed", placeholder="any"
        )
        checks = row[1].selectbox(
            "Checks", list(_CHECKS), format_func=_CHECKS.get, key=f"{key_prefix}_flagged"
        )
        text = row[2].text_input("Text contains", key=f"{key_prefix}_text", placeholder="any text")
        attributes: dict[str, list[str]] = {}
        if options.attributes:
            with st.expander("Attribute values"):
                for name, values in options.attributes.items():
                    chosen = st.multiselect(
                        plain(name), values, key=f"{key_prefix}_attribute_{name}", placeholder="any"
                    )
                    if chosen:
                        attributes[name] = chosen
    return CandidateFilter(
        statuses=[CandidateStatus(status) for status in statuses],
        methods=methods,
        labels=labels,
        attributes=attributes,
        failed_checks=failed,
        flagged=None if checks == "any" else checks == "flagged",
        annotators=annotators,
        text=text.strip(),
    )
