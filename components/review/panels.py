"""Side panels of the review queue: AI pre-scoring, annotator overlap and agreement,
and the nearest accepted neighbour of the candidate on screen."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.state import get_backend, is_admin, plain
from seedbed.errors import BackendError
from seedbed.models import Candidate, Project
from seedbed.review import judge, neighbours
from seedbed.review.agreement import agreement, overlap_fraction, set_overlap_fraction
from seedbed.store.core import Store


# The accepted set's matrix is large (384 floats per item) and read-only: cache_resource
# shares it without copying. The fingerprint (count, latest review time) changes with
# the set, so a stale matrix is never used; max_entries bounds the memory.
@st.cache_resource(max_entries=4, show_spinner="Embedding the accepted set…")
def _accepted_set(_store: Store, url: str, project_id: int, fingerprint: tuple[int, str]):
    return neighbours.accepted_set(_store, project_id)


def nearest_neighbour(
    store: Store, project: Project, card: Candidate
) -> neighbours.Neighbour | None:
    """The accepted candidate closest to `card`, when the page's toggle asks for it."""
    if not st.session_state.get("review_neighbour"):
        return None
    fingerprint = neighbours.accepted_fingerprint(store, project.id)
    if fingerprint[0] == 0:
        st.caption("No accepted candidate yet to compare with.")
        return None
    accepted = _accepted_set(store, store.url, project.id, fingerprint)
    return neighbours.nearest_accepted(store, card.text, accepted, exclude_id=card.id)


def judge_panel(store: Store, project: Project) -> None:
    """Let an admin have an LLM judge score pending candidates (advice only)."""
    if not is_admin():
        return
    with st.expander("AI pre-scoring (optional)"):
        st.caption(
            "An LLM judge rates pending candidates from 1 to 5 on helpfulness, correctness "
            "and instruction-following, with the backend chosen in the sidebar. The scores "
            "can order the queue; the human decision is the only one that counts."
        )
        count = st.number_input("Candidates to score", 1, 50, 5, key="review_judge_n")
        if st.button("Score pending candidates", key="review_judge_run"):
            _run_judge(store, project, int(count))


def _run_judge(store: Store, project: Project, count: int) -> None:
    todo = judge.unscored_pending(store, project.id, count)
    if not todo:
        st.info("Every pending candidate already has a score.")
        return
    progress = st.progress(0.0, text=f"Scoring {len(todo)} candidates…")
    done: list[int] = []

    def advance(_index: int, _result: judge.JudgeResult) -> None:
        done.append(1)
        progress.progress(len(done) / len(todo), text=f"Scored {len(done)} of {len(todo)}")

    try:
        results = judge.judge_candidates(store, get_backend(), todo, on_result=advance)
    except BackendError as error:
        progress.empty()
        st.error(plain(str(error)))
        return
    failed = sum(1 for result in results if result.error)
    message = f"Scored {len(results) - failed} of {len(results)} candidates."
    if failed:
        message += f" {failed} could not be scored (the reason is on each card)."
    st.success(message)


def annotators_panel(store: Store, project: Project, on_open: Callable[[int], None]) -> None:
    """The overlap setting (admins) and, on request, agreement between annotators."""
    with st.expander("Annotators and agreement"):
        current = overlap_fraction(store, project.id)
        if is_admin():
            chosen = st.slider(
                "Second-opinion overlap",
                0,
                50,
                round(current * 100),
                step=5,
                format="%d%%",
                key="review_overlap",
                help="This share of decided candidates also goes to a second annotator, "
                "so their agreement can be measured (Cohen's kappa).",
            )
            if chosen / 100 != current:
                set_overlap_fraction(store, project.id, chosen / 100)
        else:
            st.caption(f"Second-opinion overlap: {current:.0%}")
        if st.toggle("Measure agreement", key="review_show_agreement"):
            _agreement(store, project, on_open)


def _agreement(store: Store, project: Project, on_open: Callable[[int], None]) -> None:
    measures = agreement(store, project.id)
    columns = st.columns(3)
    columns[0].metric("Candidates with two opinions", measures["items"])
    observed = measures["observed_agreement"]
    columns[1].metric("Observed agreement", "–" if observed is None else f"{observed:.0%}")
    kappa = measures["kappa"]
    columns[2].metric("Cohen's kappa", "–" if kappa is None else f"{kappa:.2f}")
    if kappa is None and measures["items"]:
        st.caption("Kappa is undefined while every decision has the same label.")
    if measures["disagreements"]:
        chosen = st.selectbox("Disagreements", measures["disagreements"], key="review_disagreed")
        st.button("Open it", key="review_open_disagreement", on_click=on_open, args=(chosen,))
