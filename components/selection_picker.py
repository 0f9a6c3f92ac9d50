"""The selection widgets of the Insights page: which candidates a column measures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from seedbed.insights.selection import SelectionOptions
from seedbed.models import CandidateFilter, CandidateStatus

BASELINE_METHOD = "class_conditional"
PRESETS = {
    "accepted_rejected": "Accepted vs rejected",
    "attrprompt_baseline": "AttrPrompt vs class-conditional",
}


def selection_picker(
    key: str, options: SelectionOptions, title: str, per_row: int = 3
) -> CandidateFilter:
    """Draw one selection's widgets (keys start with `key`) and return its filter.

    `per_row` widgets share a row: 3 across the page, 2 in one of two columns.
    """
    st.session_state.setdefault(f"{key}_statuses", ["accepted"])
    with st.container(border=True):
        st.markdown(f"**{title}**")
        cells = [cell for _ in range(6 // per_row) for cell in st.columns(per_row)]
        statuses = cells[0].multiselect(
            "Status", [s.value for s in CandidateStatus], key=f"{key}_statuses", placeholder="any"
        )
        methods = cells[1].multiselect(
            "Method", options.methods, key=f"{key}_methods", placeholder="any"
        )
        labels = cells[2].multiselect(
            "Label", options.labels, key=f"{key}_labels", placeholder="any"
        )
        jobs = cells[3].multiselect(
            "Job",
            list(options.jobs),
            format_func=options.jobs.get,
            key=f"{key}_jobs",
            placeholder="any",
        )
        annotators = cells[4].multiselect(
            "Annotator", options.annotators, key=f"{key}_annotators", placeholder="any"
        )
        days = cells[5].date_input(
            "Created between",
            value=(),
            min_value=options.first_created.date() if options.first_created else None,
            max_value=options.last_created.date() if options.last_created else None,
            key=f"{key}_dates",
            format="YYYY-MM-DD",
        )
    first, last = _day_range(days)
    return CandidateFilter(
        statuses=[CandidateStatus(status) for status in statuses],
        methods=methods,
        labels=labels,
        job_ids=jobs,
        annotators=annotators,
        created_after=first,
        created_before=last,
    )


def _day_range(days: object) -> tuple[datetime | None, datetime | None]:
    """Whole days in UTC: from the first day's start to the end of the last one."""
    picked = [day for day in days if isinstance(day, date)] if isinstance(days, tuple) else []
    if not picked:
        return None, None
    start = datetime.combine(picked[0], time(), tzinfo=UTC)
    end = datetime.combine(picked[-1], time(), tzinfo=UTC) + timedelta(days=1)
    return start, end


def apply_preset(options: SelectionOptions) -> None:
    """on_change of the quick-comparison control: set both selections' widgets."""
    preset = st.session_state.get("insights_preset")
    for key in ("insights_a", "insights_b"):
        for field in ("methods", "labels", "jobs", "annotators"):
            st.session_state[f"{key}_{field}"] = []
        st.session_state[f"{key}_dates"] = ()
    if preset == "accepted_rejected":
        st.session_state["insights_a_statuses"] = ["accepted"]
        st.session_state["insights_b_statuses"] = ["rejected"]
    elif preset == "attrprompt_baseline":
        st.session_state["insights_a_statuses"] = ["accepted"]
        st.session_state["insights_b_statuses"] = ["accepted"]
        for key, method in (("insights_a", "attrprompt"), ("insights_b", BASELINE_METHOD)):
            st.session_state[f"{key}_methods"] = [method] if method in options.methods else []


def describe(where: CandidateFilter, options: SelectionOptions) -> str:
    """A short name for a selection, for legends and column headers."""
    parts = ["+".join(status.value for status in where.statuses) or "all statuses"]
    parts += [_few(where.methods, "methods"), _few(where.labels, "labels")]
    parts.append(
        _few([options.jobs.get(j, f"job {j}").split(" · ")[0] for j in where.job_ids], "jobs")
    )
    if where.annotators:
        parts.append("by " + _few(where.annotators, "annotators"))
    if where.created_after and where.created_before:
        last = where.created_before - timedelta(days=1)
        parts.append(f"{where.created_after:%d %b}–{last:%d %b}")
    return " · ".join(part for part in parts if part)


def _few(values: list, plural: str) -> str:
    if len(values) <= 2:
        return ", ".join(str(value) for value in values)
    return f"{len(values)} {plural}"
