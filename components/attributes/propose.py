"""LLM proposals of new dimensions or values: the model suggests, the user picks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.attributes.common import ALL_LABELS, ask, cell, digest, save
from components.state import plain
from seedbed.attributes import add_dimensions, add_values
from seedbed.errors import SeedbedError
from seedbed.methods import proposals
from seedbed.models import AttributeDimension, Project
from seedbed.store.core import Store


def proposal_panel(
    store: Store, project: Project, dimensions: list[AttributeDimension], busy: str | None
) -> None:
    """Ask for proposals, then show them to pick from; adding waits while `busy` says why."""
    st.subheader("Propose with the LLM")
    st.caption(
        "The model suggests, you decide: nothing is added until you pick it. The embedded demo "
        "model is small and often off the mark; a larger model through an OpenAI-compatible "
        "server (sidebar) proposes far better."
    )
    _ask_for_proposals(project, dimensions)
    proposal = st.session_state.get("attributes_proposals")
    if proposal and proposal["project"] == project.id:
        _pick_proposals(store, project, dimensions, proposal, busy)


def _ask_for_proposals(project: Project, dimensions: list[AttributeDimension]) -> None:
    kind = st.radio(
        "Propose",
        ["dimensions", "values"],
        format_func={"dimensions": "Dimensions", "values": "Values of a dimension"}.get,
        horizontal=True,
        key="attributes_propose_kind",
    )
    dimension = label = None
    if kind == "values" and not dimensions:
        st.info("Save a dimension first; then the model can propose its values.")
    elif kind == "values":
        left, right = st.columns(2)
        dimension = left.selectbox("Dimension", [d.name for d in dimensions], key="attributes_dim")
        label = right.selectbox(
            "For", [ALL_LABELS, *project.labels], key="attributes_propose_label"
        )
        label = None if label == ALL_LABELS else label
    default = 5 if kind == "dimensions" else 10
    count = int(st.number_input("How many", 1, 30, default, key="attributes_n"))

    can_ask = kind == "dimensions" or bool(dimensions)
    if not st.button("Ask the model", key="attributes_propose", disabled=not can_ask):
        return
    if kind == "dimensions":
        request = proposals.dimension_messages(project, count)
    else:
        meaning = next(d.description for d in dimensions if d.name == dimension)
        request = proposals.value_messages(project, dimension, meaning, label, count)
    replies = ask([request], proposals.PROPOSAL_PARAMS)
    if replies is None:
        return
    if kind == "dimensions":
        rows = [
            {"keep": True, "name": n, "description": d}
            for n, d in proposals.parse_dimensions(replies[0], project.labels)
        ]
    else:
        rows = [{"keep": True, "value": v} for v in proposals.parse_values(replies[0])]
    st.session_state["attributes_proposals"] = {
        "project": project.id,
        "kind": kind,
        "dimension": dimension,
        "label": label,
        "rows": rows,
        "reply": replies[0],
    }


def _pick_proposals(
    store: Store,
    project: Project,
    dimensions: list[AttributeDimension],
    proposal: dict,
    busy: str | None,
) -> None:
    what = proposal["dimension"] or "new dimensions"
    if proposal["label"]:
        what += f" (label {proposal['label']})"
    if not proposal["rows"]:
        st.warning(plain(f"The reply held no usable proposal for {what}. It said:"))
        st.text(proposal["reply"] or "(empty)")
        return
    st.caption(f"Proposed {what}: untick what you do not want, edit the rest.")
    picked = st.data_editor(
        pd.DataFrame(proposal["rows"]),
        key=f"attributes_proposals_{digest(proposal['rows'])}",
        hide_index=True,
        width="stretch",
        column_config={
            "keep": st.column_config.CheckboxColumn("Keep", default=True),
            "name": st.column_config.TextColumn("Dimension", required=True),
            "description": st.column_config.TextColumn("Description", width="large"),
            "value": st.column_config.TextColumn("Value", required=True),
        },
    )
    main = "name" if proposal["kind"] == "dimensions" else "value"
    kept = [r for r in picked.to_dict("records") if r["keep"] and cell(r[main])]
    if busy:
        st.caption(busy)
    if not st.button(
        f"Add {len(kept)} to the attributes",
        key="attributes_add_proposals",
        disabled=bool(busy) or not kept,
    ):
        return
    try:
        if proposal["kind"] == "dimensions":
            pairs = [(cell(r["name"]), cell(r["description"])) for r in kept]
            new = add_dimensions(dimensions, pairs)
        else:
            picked_values = [cell(r["value"]) for r in kept]
            new = add_values(dimensions, proposal["dimension"], proposal["label"], picked_values)
    except SeedbedError as error:
        st.error(plain(str(error)))
        return
    st.session_state.pop("attributes_proposals")
    save(store, project.id, new)
