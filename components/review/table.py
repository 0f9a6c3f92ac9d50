"""Table mode of the Review page: filter, sort and page through candidates, open one in
the card, or accept / reject the ticked rows or the whole filtered selection after a
confirmation.

Only the page on screen is read (LIMIT/OFFSET); counts are SQL counts; a bulk
decision runs in SQL a batch at a time and records a review for every candidate.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from components.filter_panel import candidate_filter_panel
from components.review.queue import flash
from components.state import annotator
from seedbed.models import Candidate, CandidateFilter, Project
from seedbed.review import bulk, judge
from seedbed.store.core import SORT_COLUMNS, Store
from seedbed.store.options import filter_options

SORT_LABELS = {
    "id": "Id",
    "created_at": "Created",
    "reviewed_at": "Reviewed",
    "status": "Status",
    "method": "Method",
    "label": "Label",
}
PAGE_SIZES = [25, 50, 100]
_VERBS = {"accepted": "Accept", "rejected": "Reject"}


def _mean_overall(results: list[judge.JudgeResult]) -> float | None:
    scores = [r.overall for r in results if r.overall is not None]
    return sum(scores) / len(scores) if scores else None


def _rows(candidates: list[Candidate], scores: dict[int, list[judge.JudgeResult]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": c.id,
                "status": c.status.value,
                "label": c.label or "",
                "method": c.method,
                "text": c.text[:300],
                "failed checks": ", ".join(x.name for x in c.checks if not x.passed),
                "reply cut": any(x.name == "truncated" for x in c.checks),
                "judge": _mean_overall(scores.get(c.id, [])),
                "reviewed by": c.reviewed_by or "",
                "reviewed at": c.reviewed_at,
            }
            for c in candidates
        ]
    )


def rows_key(ids: list[int]) -> str:
    """A short key for the rows on screen."""
    return hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12]


def _open_in_card(candidate_id: int) -> None:
    st.session_state["review_focus_id"] = candidate_id
    st.session_state["review_mode"] = "Queue"


def _ask(decision: str, where: CandidateFilter, count: int, which: str) -> None:
    st.session_state["review_bulk"] = (decision, where, count, which)


def _confirm(store: Store, project: Project) -> None:
    decision, where, _, _ = st.session_state.pop("review_bulk")
    reason = st.session_state.get("review_bulk_reason", "").strip() or None
    owner = st.session_state["review_owner"]
    result = bulk.bulk_decide(store, project.id, where, decision, annotator(), owner, reason)
    message = f"{decision.capitalize()} {result.changed:,} candidates."
    if result.skipped:
        message += (
            f" {result.skipped:,} were left alone: in another annotator's queue, "
            "or decided by someone meanwhile."
        )
    if result.empty:
        message += (
            f" {result.empty:,} stayed pending: an empty output or text is not data "
            "(edit them one by one)."
        )
    flash("warning" if result.skipped or result.empty else "toast", message)


def _bulk_controls(
    store: Store, project: Project, where: CandidateFilter, ticked: list[int]
) -> None:
    """Decide the ticked rows, or every candidate the filters select, after a confirmation."""
    pending = st.session_state.get("review_bulk")
    if pending is not None:
        decision, _, count, which = pending
        with st.container(border=True):
            st.warning(
                f"{_VERBS[decision]} {count:,} candidates ({which} that is not {decision} "
                "yet)? Each gets a review in your name."
            )
            if decision == "rejected":
                st.text_input("Reason (optional)", key="review_bulk_reason")
            yes, no = st.columns(2)
            yes.button(
                f"Yes, {_VERBS[decision].lower()} {count:,}",
                key="review_bulk_confirm",
                type="primary",
                on_click=_confirm,
                args=(store, project),
            )
            no.button(
                "Cancel",
                key="review_bulk_cancel",
                on_click=st.session_state.pop,
                args=("review_bulk",),
            )
        return
    if ticked:
        picked = where.model_copy(update={"ids": ticked})
        columns = st.columns(2)
        for column, decision in zip(columns, _VERBS, strict=True):
            count = bulk.bulk_count(store, project.id, picked, decision)
            column.button(
                f"{_VERBS[decision]} the {count:,} ticked",
                key=f"review_ticked_{decision}",
                type="primary",
                disabled=count == 0,
                on_click=_ask,
                args=(decision, picked, count, "every ticked row"),
                width="stretch",
            )
    columns = st.columns(2)
    for column, decision in zip(columns, _VERBS, strict=True):
        count = bulk.bulk_count(store, project.id, where, decision)
        column.button(
            f"{_VERBS[decision]} all {count:,} in the selection",
            key=f"review_bulk_{decision}",
            disabled=count == 0,
            on_click=_ask,
            args=(decision, where, count, "every one matching the filters"),
            width="stretch",
        )


def table_mode(store: Store, project: Project) -> None:
    """Draw table mode for the project."""
    options = filter_options(store, project)
    where = candidate_filter_panel("review_table", options, default_statuses=("pending",))
    total = store.count_candidates(project.id, where)
    controls = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    sort_by = controls[0].selectbox(
        "Sort by", list(SORT_COLUMNS), format_func=SORT_LABELS.get, key="review_table_sort"
    )
    descending = controls[1].toggle("Descending", key="review_table_desc")
    size = controls[2].selectbox("Rows", PAGE_SIZES, index=1, key="review_table_size")
    pages = max(1, -(-total // size))
    if st.session_state.get("review_table_page", 1) > pages:
        st.session_state["review_table_page"] = pages  # the filters shrank the selection
    page = controls[3].number_input(f"Page (of {pages:,})", 1, pages, 1, key="review_table_page")
    candidates = store.list_candidates(
        project.id,
        where,
        limit=size,
        offset=(int(page) - 1) * size,
        newest_first=descending,
        sort_by=sort_by,
    )
    st.caption(f"{total:,} candidate{'s' if total != 1 else ''} match the filters.")
    if not candidates:
        st.info("No candidate matches these filters.")
        return
    scores = judge.results_for(store, [c.id for c in candidates])
    ids = [c.id for c in candidates]
    # Keyed by the rows shown: ticks are positions, so another page starts with none.
    shown = st.dataframe(
        _rows(candidates, scores),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=f"review_table_rows_{rows_key(ids)}",
    )
    ticked = [ids[row] for row in shown.selection.rows if row < len(ids)]
    st.caption(
        f"{len(ticked)} ticked: decide them below." if ticked else "Tick rows to decide just those."
    )
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Candidate on this page", [c.id for c in candidates], key="review_table_open_id"
    )
    right.button(
        "Open it in the review card",
        key="review_table_open",
        on_click=_open_in_card,
        args=(chosen,),
    )
    st.divider()
    _bulk_controls(store, project, where, ticked)
