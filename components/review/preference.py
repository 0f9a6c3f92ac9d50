"""Preference mode of the Review page: two completions of one prompt side by side; the
annotator picks the better one, a tie, or both bad (stored as a preference pair)."""

from __future__ import annotations

import streamlit as st

from components.review.queue import flash
from components.shortcuts import keyboard_shortcuts, shortcut_legend
from components.state import annotator, get_backend, is_admin, plain, show_text
from seedbed.errors import SeedbedError
from seedbed.models import Candidate, Project
from seedbed.review import preferences
from seedbed.review.preferences import Pair
from seedbed.store.core import Store

BUTTONS = {"a": "pref_a", "b": "pref_b", "tie": "pref_tie", "both_bad": "pref_both_bad"}
SHORTCUTS = {"1": "pref_a", "2": "pref_b", "t": "pref_tie", "x": "pref_both_bad"}
LEGEND = {"1": "A better", "2": "B better", "t": "tie", "x": "both bad"}


def _record(store: Store, pair: Pair, verdict: str) -> None:
    preferences.record_preference(store, pair, verdict, annotator())
    flash("toast", f"Stored: {preferences.VERDICTS[verdict]}.")


def _second_completion(store: Store, candidate: Candidate) -> None:
    with st.spinner("Asking the model for another completion…"):
        try:
            new_id = preferences.add_second_completion(store, get_backend(), candidate)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
    st.success(f"Stored the new completion as candidate {new_id} (pending review).")


def _side(title: str, candidate: Candidate) -> None:
    with st.container(border=True):
        st.subheader(title)
        show_text(preferences.completion_of(candidate))
        st.text(f"candidate {candidate.id} · {candidate.model or 'unknown model'}")


# Grouping completions by prompt scans the project once (about a second at 100,000
# candidates); the groups only change when candidates are added or deleted.
@st.cache_data(max_entries=8, show_spinner="Finding completions of the same prompt…")
def _groups(_store: Store, url: str, project: Project, fingerprint: tuple[int, int]):
    return preferences.pairable_groups(_store, project)


def preference_mode(store: Store, project: Project) -> None:
    """Draw preference mode for the project and the current annotator."""
    fingerprint = preferences.candidates_fingerprint(store, project.id)
    groups = _groups(store, store.url, project, fingerprint)
    pair = preferences.next_pair(store, project, annotator(), groups)
    if pair is None:
        st.info(
            "No pair is waiting for you. A pair is two completions of the same prompt; "
            "ask the model for a second completion of one to make one."
        )
        lone = preferences.lone_completion(store, project)
        if lone is not None and is_admin():
            st.caption(f"Prompt of candidate {lone.id}")
            show_text(preferences.prompt_of(lone))
            if st.button("Generate a second completion", key="pref_generate"):
                _second_completion(store, lone)
        return
    st.caption("Prompt")
    show_text(pair.prompt)
    left, right = st.columns(2)
    with left:
        _side("A", pair.a)
    with right:
        _side("B", pair.b)
    columns = st.columns(4)
    for column, (verdict, key) in zip(columns, BUTTONS.items(), strict=True):
        column.button(
            preferences.VERDICTS[verdict],
            key=key,
            on_click=_record,
            args=(store, pair, verdict),
            type="primary" if verdict in ("a", "b") else "secondary",
            width="stretch",
        )
    st.caption("Keys: " + shortcut_legend(LEGEND))
    keyboard_shortcuts(SHORTCUTS, key="pref_shortcuts")
    if is_admin() and st.button("Ask for one more completion of this prompt", key="pref_more"):
        _second_completion(store, pair.a)
