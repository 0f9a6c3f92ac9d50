"""Insights' quick comparisons and the short names its selections are shown under."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from components.filter_panel import clear_filter_panel
from seedbed.models import CandidateFilter
from seedbed.store.options import FilterOptions

BASELINE_METHOD = "class_conditional"
PRESETS = {
    "accepted_rejected": "Accepted vs rejected",
    "attrprompt_baseline": "AttrPrompt vs class-conditional",
}


def apply_preset(options: FilterOptions) -> None:
    """on_change of the quick-comparison control: set both selections' widgets."""
    preset = st.session_state.get("insights_preset")
    second = ["accepted"] if preset == "attrprompt_baseline" else ["rejected"]
    clear_filter_panel("insights_a", options, ["accepted"])
    clear_filter_panel("insights_b", options, second)
    if preset == "attrprompt_baseline":
        for key, method in (("insights_a", "attrprompt"), ("insights_b", BASELINE_METHOD)):
            st.session_state[f"{key}_methods"] = [method] if method in options.methods else []


def describe(where: CandidateFilter, options: FilterOptions) -> str:
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
    parts.append(_few([f"{k}={v}" for k, vs in where.attributes.items() for v in vs], "values"))
    if where.failed_checks:
        parts.append("failed " + _few(where.failed_checks, "checks"))
    if where.flagged is not None:
        parts.append("flagged" if where.flagged else "clean")
    if where.text:
        parts.append(f"“{where.text}”")
    return " · ".join(part for part in parts if part)


def _few(values: list, plural: str) -> str:
    if len(values) <= 2:
        return ", ".join(str(value) for value in values)
    return f"{len(values)} {plural}"
