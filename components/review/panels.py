"""Side panels of the review queue: AI judges and auto-decisions, overlap and agreement,
and the nearest accepted neighbour of the candidate on screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st

from components.embedding import embed_with_progress, measured
from components.state import backend_config, get_backend, is_admin, plain
from seedbed.errors import AutoDecisionRefused, BackendError
from seedbed.models import Candidate, Project
from seedbed.review import auto, judge, neighbours
from seedbed.review.agreement import (
    agreement,
    judge_agreement,
    overlap_fraction,
    reliability,
    set_overlap_fraction,
)
from seedbed.store.core import Store


# The accepted set's matrix is large (384 floats per item) and read-only: cache_resource
# shares it without copying. The fingerprint (count, latest review time) changes with
# the set, so a stale matrix is never used; max_entries bounds the memory. Many new
# accepted texts are embedded on a server thread (raising StillEmbedding meanwhile).
@st.cache_resource(max_entries=4, show_spinner=False)
def _accepted_set(_store: Store, url: str, project_id: int, fingerprint: tuple[int, str]):
    def embed(texts: list[str]):
        return embed_with_progress(texts, _store, "accepted items")

    return neighbours.accepted_set(_store, project_id, embed)


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
    accepted = measured(lambda: _accepted_set(store, store.url, project.id, fingerprint))
    if accepted is None:
        return None  # the bar above the card shows how far the embedding is
    return neighbours.nearest_accepted(store, card.text, accepted, exclude_id=card.id)


def judge_panel(store: Store, project: Project) -> None:
    """Admins have LLM judges score pending candidates, set the verdict threshold, and
    let a judge decide alone once it is measured to agree with people well enough."""
    if not is_admin():
        return
    with st.expander("AI judges"):
        st.caption(
            "An LLM judge rates pending candidates from 1 to 5 on helpfulness, correctness "
            "and instruction-following, on the sidebar's server. A second model is a second "
            "judge. Their verdicts are measured against your decisions (Annotators and "
            "agreement), and the queue order 'AI judges least sure first' shows you first "
            "what they are unsure of or disagree on."
        )
        chosen = judge.settings(store, project.id)
        left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
        config = backend_config()
        if config.kind == "embedded":
            model = None
            left.caption("Judge: the embedded model (pick a server in the sidebar for others).")
        else:
            model = left.text_input(
                "Judge model",
                value=config.model,
                key="review_judge_model",
                help="Any model on the sidebar's server.",
            )
        count = middle.number_input("Candidates to score", 1, 200, 5, key="review_judge_n")
        key = f"review_judge_accept_at_{project.id}"
        st.session_state.setdefault(key, chosen.accept_at)  # the stored value, once
        accept_at = right.number_input(
            "Verdict: accept from",
            1.0,
            5.0,
            step=0.5,
            key=key,
            help="A judge's verdict is accept when its overall score (the mean of the "
            "three) is at least this.",
        )
        if accept_at != chosen.accept_at:
            chosen = replace(chosen, accept_at=float(accept_at))
            judge.save_settings(store, project.id, chosen)
        if st.button("Score pending candidates", key="review_judge_run"):
            _run_judge(store, project, int(count), model)
        st.divider()
        _auto_decisions(store, project, chosen)


def _run_judge(store: Store, project: Project, count: int, model: str | None) -> None:
    try:
        backend = get_backend(model)
    except BackendError as error:
        st.error(plain(str(error)))
        return
    todo = judge.unscored_pending(store, project.id, count, backend.model)
    if not todo:
        st.info(f"The judge {plain(backend.model)} has scored every pending candidate.")
        return
    progress = st.progress(0.0, text=f"Scoring {len(todo)} candidates…")
    done: list[int] = []

    def advance(_index: int, _result: judge.JudgeResult) -> None:
        done.append(1)
        progress.progress(len(done) / len(todo), text=f"Scored {len(done)} of {len(todo)}")

    try:
        results = judge.judge_candidates(store, backend, todo, on_result=advance)
    except BackendError as error:
        progress.empty()
        st.error(plain(str(error)))
        return
    failed = sum(1 for result in results if result.error)
    message = f"Scored {len(results) - failed} of {len(results)} candidates."
    if failed:
        message += f" {failed} could not be scored (the reason is on each card)."
    st.success(message)


def _auto_decisions(store: Store, project: Project, chosen: judge.JudgeSettings) -> None:
    """The kappa that allows auto-decisions, and the button that runs them."""
    # Widgets take the stored settings once per session (keyed by project), then the user's.
    allow_key, level_key = f"review_auto_allow_{project.id}", f"review_auto_kappa_{project.id}"
    st.session_state.setdefault(allow_key, chosen.auto_kappa is not None)
    st.session_state.setdefault(level_key, chosen.auto_kappa or 0.8)
    allow = st.toggle(
        "Allow auto-decisions",
        key=allow_key,
        help=f"A judge may then decide the pending candidates it is sure of (overall score "
        f"at least {auto.SURE_MARGIN:g} from the threshold, no other judge disagreeing, "
        f"every check passed for an accept), but only while its kappa against people, "
        f"measured on at least {auto.MIN_MEASURED} candidates, reaches the level below.",
    )
    level = st.session_state[level_key]
    if allow:
        level = st.slider("Kappa against people needed", 0.4, 1.0, step=0.05, key=level_key)
    wanted = float(level) if allow else None
    if wanted != chosen.auto_kappa:
        judge.save_settings(store, project.id, replace(chosen, auto_kappa=wanted))
    models = judge.judges(store, project.id)
    if not allow or not models:
        st.caption("People decide every candidate." if not allow else "No judge has scored yet.")
        return
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    model = left.selectbox("Judge that decides", models, key="review_auto_model")
    if right.button("Auto-decide what it is sure of", key="review_auto_run"):
        try:
            outcome = auto.auto_decide(store, project.id, model)
        except AutoDecisionRefused as error:
            st.warning(plain(str(error)))
            return
        st.success(
            f"The judge accepted {outcome.accepted} and rejected {outcome.rejected} "
            f"candidates on its own (kappa {outcome.kappa:.2f} on {outcome.measured}); "
            f"{outcome.left} stay for people. Each is marked as an automatic decision."
        )


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
    accept_at = judge.settings(store, project.id).accept_at
    alphas = reliability(store, project.id, accept_at)
    columns = st.columns(2)
    columns[0].metric(
        "Krippendorff's alpha, people",
        _number(alphas["humans"]),
        help=f"{alphas['annotators']} annotators, {alphas['units']} candidates decided by "
        "two or more of them; an annotator need not rate every candidate.",
    )
    columns[1].metric(
        "Alpha, people and AI judges",
        _number(alphas["with_judges"]),
        help="Each judge counts as one more annotator whose decision is its verdict.",
    )
    rows = judge_agreement(store, project.id, accept_at)
    if len(rows) > 1 or (rows and rows[0]["items"]):
        st.caption(
            f"Cohen's kappa of each AI judge against people (its verdict is accept from "
            f"{accept_at:g}), beside people against each other; per rubric and per label."
        )
        table = pd.DataFrame(rows).rename(columns={"observed_agreement": "agreement"})
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "agreement": st.column_config.NumberColumn(format="percent"),
                "kappa": st.column_config.NumberColumn(format="%.2f"),
            },
        )


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
