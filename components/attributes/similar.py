"""The similar-label check: values meant for one label that fit a similar label too."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.attributes.common import ask, digest, save
from components.state import plain
from seedbed.attributes import (
    ValueFlag,
    ambiguity_questions,
    flags_to_review,
    model_value_flags,
    remove_values,
)
from seedbed.methods import proposals
from seedbed.models import MAX_SIMILAR, AttributeDimension, Project
from seedbed.store.core import Store


def similar_labels_panel(
    store: Store, project: Project, dimensions: list[AttributeDimension], busy: str | None
) -> None:
    """Name similar labels (or ask the model), then review and remove the flagged values."""
    st.subheader("Similar labels")
    st.caption(
        "A value meant for one label that fits a similar label too makes ambiguous data, so "
        "AttrPrompt removes it. Name up to 5 similar labels for each label, or let the model "
        "propose them. Values a similar label also lists are flagged; the model can flag more. "
        "AttrPrompt also asks for items relevant to their label and irrelevant to its similar "
        "labels (an option of the method)."
    )
    for name in project.labels:  # the stored lists, once per session
        key = f"attributes_similar_{project.id}_{name}"
        st.session_state.setdefault(key, project.similar_labels.get(name, []))
    if st.button("Ask the model for similar labels", key="attributes_similar_ask"):
        _ask_for_similar_labels(project)
    similar = {
        name: st.multiselect(
            f"Similar to {plain(name)}",
            [other for other in project.labels if other != name],
            key=f"attributes_similar_{project.id}_{name}",
            max_selections=MAX_SIMILAR,
        )
        for name in project.labels
    }
    named = {name: others for name, others in similar.items() if others}
    if named != project.similar_labels:  # kept at once: AttrPrompt reads them
        store.update_project(project.model_copy(update={"similar_labels": named}))
    _ask_which_values_fit(project, dimensions, similar)
    model_flags = [ValueFlag(**raw) for raw in st.session_state.get("attributes_model_flags", [])]
    flagged = flags_to_review(dimensions, similar, model_flags)
    if not flagged:
        st.caption("No value is flagged.")
        return
    removed = _pick_flags(flagged)
    if busy:
        st.caption(busy)
    if st.button(
        f"Remove {len(removed)} flagged value{'s' if len(removed) != 1 else ''}",
        key="attributes_remove_flags",
        disabled=bool(busy) or not removed,
    ):
        st.session_state.pop("attributes_model_flags", None)
        save(store, project.id, remove_values(dimensions, removed))


def _ask_for_similar_labels(project: Project) -> None:
    requests = [proposals.similar_label_messages(project, name) for name in project.labels]
    replies = ask(requests, proposals.CHECK_PARAMS)
    if replies is None:
        return
    for name, reply in zip(project.labels, replies, strict=True):
        found = proposals.parse_similar_labels(reply, project.labels, name)
        st.session_state[f"attributes_similar_{project.id}_{name}"] = found
    st.session_state.pop("attributes_model_flags", None)


def _ask_which_values_fit(
    project: Project, dimensions: list[AttributeDimension], similar: dict[str, list[str]]
) -> None:
    questions = ambiguity_questions(dimensions, similar)
    if not st.button(
        "Ask the model which values fit a similar label",
        key="attributes_ambiguity_ask",
        disabled=not questions,
        help=None if questions else "Needs per-label values and similar labels.",
    ):
        return
    requests = [
        proposals.ambiguity_messages(project, name, similar[name], dim, listed)
        for dim, name, listed in questions
    ]
    replies = ask(requests, proposals.CHECK_PARAMS)
    if replies is None:
        return
    found, unreadable = [], 0
    for (dim, name, listed), reply in zip(questions, replies, strict=True):
        positions = proposals.parse_ambiguous(reply, listed)
        if positions is None:
            unreadable += 1
        else:
            found += model_value_flags(dim, name, listed, positions, similar[name])
    st.session_state["attributes_model_flags"] = [flag.model_dump() for flag in found]
    if unreadable:
        st.warning(f"{unreadable} of {len(replies)} replies could not be read; ask again.")


def _pick_flags(flagged: list[ValueFlag]) -> list[ValueFlag]:
    """The flagged values in a table; returns those the user did not tick to keep."""
    rows = [{**flag.model_dump(), "keep": False} for flag in flagged]
    decided = st.data_editor(
        pd.DataFrame(rows),
        key=f"attributes_flags_{digest(rows)}",
        hide_index=True,
        width="stretch",
        disabled=["dimension", "label", "value", "reason"],
        column_config={
            "dimension": "Dimension",
            "label": "Label",
            "value": "Value",
            "reason": st.column_config.TextColumn("Why it is flagged", width="large"),
            "keep": st.column_config.CheckboxColumn("Keep", default=False),
        },
    )
    return [flag for flag, keep in zip(flagged, decided["keep"], strict=True) if not keep]
