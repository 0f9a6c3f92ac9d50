"""The panel that builds a CandidateFilter: Review's table, Insights' selections, Export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from components.state import plain
from seedbed.models import CandidateFilter, CandidateStatus
from seedbed.store.options import FilterOptions

_CHECKS = {"any": "any", "flagged": "flagged by a check", "clean": "passed every check"}


def candidate_filter_panel(
    key: str,
    options: FilterOptions,
    title: str = "",
    default_statuses: Sequence[str] = ("accepted",),
    per_row: int = 4,
) -> CandidateFilter:
    """Draw the filter widgets (keys start with `key`) and return the filter they set.

    Empty widgets mean "any". `per_row` widgets share a row (4 across the page, 2 in
    one of two columns). Attribute values sit in an expander, one multiselect per
    dimension of the project. `options` comes from `seedbed.store.options.filter_options`.
    """
    # Seeded in session state rather than with `default=`, so a page may set it too.
    st.session_state.setdefault(f"{key}_statuses", list(default_statuses))
    with st.container(border=True):
        if title:
            st.markdown(f"**{title}**")
        cells = [cell for _ in range(8 // per_row) for cell in st.columns(per_row)]
        statuses = cells[0].multiselect(
            "Status", [s.value for s in CandidateStatus], key=f"{key}_statuses", placeholder="any"
        )
        methods = cells[1].multiselect(
            "Method", options.methods, key=f"{key}_methods", placeholder="any"
        )
        labels = cells[2].multiselect(
            "Label", options.labels, key=f"{key}_labels", placeholder="any"
        )
        annotators = cells[3].multiselect(
            "Annotator", options.annotators, key=f"{key}_annotators", placeholder="any"
        )
        jobs = cells[4].multiselect(
            "Job",
            list(options.jobs),
            format_func=options.jobs.get,
            key=f"{key}_jobs",
            placeholder="any",
        )
        days = cells[5].date_input(
            "Created between",
            value=(),
            min_value=options.first_created.date() if options.first_created else None,
            max_value=options.last_created.date() if options.last_created else None,
            key=f"{key}_dates",
            format="YYYY-MM-DD",
        )
        failed = cells[6].multiselect(
            "Failed check", options.failed_checks, key=f"{key}_failed", placeholder="any"
        )
        checks = cells[7].selectbox(
            "Checks", list(_CHECKS), format_func=_CHECKS.get, key=f"{key}_flagged"
        )
        text = st.text_input("Text contains", key=f"{key}_text", placeholder="any text")
        attributes: dict[str, list[str]] = {}
        if options.attributes:
            with st.expander("Attribute values"):
                for name, values in options.attributes.items():
                    chosen = st.multiselect(
                        plain(name), values, key=f"{key}_attribute_{name}", placeholder="any"
                    )
                    if chosen:
                        attributes[name] = chosen
    first, last = _day_range(days)
    return CandidateFilter(
        statuses=[CandidateStatus(status) for status in statuses],
        methods=methods,
        labels=labels,
        attributes=attributes,
        failed_checks=failed,
        flagged=None if checks == "any" else checks == "flagged",
        annotators=annotators,
        job_ids=jobs,
        created_after=first,
        created_before=last,
        text=text.strip(),
    )


def clear_filter_panel(key: str, options: FilterOptions, statuses: Sequence[str]) -> None:
    """Set a panel's widgets back to "any", but for `statuses` (call before it is drawn)."""
    state = st.session_state
    state[f"{key}_statuses"] = list(statuses)
    for field in ("methods", "labels", "annotators", "jobs", "failed"):
        state[f"{key}_{field}"] = []
    state[f"{key}_dates"] = ()
    state[f"{key}_flagged"] = "any"
    state[f"{key}_text"] = ""
    for name in options.attributes:
        state[f"{key}_attribute_{name}"] = []


def _day_range(days: object) -> tuple[datetime | None, datetime | None]:
    """Whole days in UTC: from the first day's start to the end of the last one."""
    picked = [day for day in days if isinstance(day, date)] if isinstance(days, tuple) else []
    if not picked:
        return None, None
    start = datetime.combine(picked[0], time(), tzinfo=UTC)
    end = datetime.combine(picked[-1], time(), tzinfo=UTC) + timedelta(days=1)
    return start, end
