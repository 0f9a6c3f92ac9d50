"""Attributes: the dimensions AttrPrompt varies, LLM proposals, and the similar-label check."""

import hashlib
import json

import pandas as pd
import streamlit as st

from components.state import get_backend, get_store, plain, require_project
from seedbed.attributes import (
    ValueFlag,
    add_dimensions,
    add_values,
    ambiguity_questions,
    dimensions_from_rows,
    dimensions_to_rows,
    flags_to_review,
    model_value_flags,
    remove_values,
)
from seedbed.llm import BackendError
from seedbed.methods import proposals
from seedbed.methods.attrprompt import combination_count
from seedbed.models import GenerationParams, Message
from seedbed.store.core import StoreError

ALL_LABELS = "(every label)"

store = get_store()
project = require_project(store)
dimensions = store.list_dimensions(project.id)
names_key, values_key = f"attributes_names_{project.id}", f"attributes_values_{project.id}"


def ask(requests: list[list[Message]], params: GenerationParams) -> list[str] | None:
    """The backend's replies to `requests`, or None after showing why there are none."""
    try:
        backend = get_backend()
        with st.spinner("Asking the model…"):
            results = backend.generate(requests, params)
    except BackendError as error:
        st.error(plain(str(error)))
        return None
    errors = [result.error for result in results if result.error]
    if errors:
        st.error(plain(f"{len(errors)} of {len(results)} requests failed: {errors[0]}"))
        return None
    return [result.text for result in results]


def save(new_dimensions) -> None:
    try:
        store.replace_dimensions(project.id, new_dimensions)
    except StoreError as error:
        st.error(plain(str(error)))
        return
    st.session_state.pop(names_key, None)  # the table editors show the saved state again
    st.session_state.pop(values_key, None)
    st.rerun()


def cell(value) -> str:
    """An edited table cell as text ('' when the user cleared it)."""
    return "" if value is None or pd.isna(value) else str(value).strip()


def digest(rows: list) -> str:
    return hashlib.sha1(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:12]


st.title("Attribute dimensions")
st.caption(
    "AttrPrompt samples one value of every dimension for each request, with your weights, "
    "so the data varies along axes you chose. A value tied to a label (a subtopic, say) is "
    "used only for that label."
)
st.metric("Attribute combinations", f"{combination_count(dimensions, project.labels):,}")

names_frame, values_frame = dimensions_to_rows(dimensions)
st.subheader("Dimensions")
names = st.data_editor(
    pd.DataFrame(names_frame, columns=["name", "description"]),
    key=names_key,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    column_config={
        "name": st.column_config.TextColumn("Dimension", required=True),
        "description": st.column_config.TextColumn("Description", width="large"),
    },
)
dimension_names = [str(n) for n in names["name"].dropna() if str(n).strip()]

st.subheader("Values")
label_options = [ALL_LABELS, *project.labels]
values = st.data_editor(
    pd.DataFrame(values_frame, columns=["dimension", "label", "value", "weight"]).fillna(
        {"label": ALL_LABELS}
    ),
    key=values_key,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    column_config={
        "dimension": st.column_config.SelectboxColumn(
            "Dimension", options=dimension_names, required=True
        ),
        "label": st.column_config.SelectboxColumn(
            "Label", options=label_options, default=ALL_LABELS, required=True
        ),
        "value": st.column_config.TextColumn("Value", width="large", required=True),
        "weight": st.column_config.NumberColumn("Weight", min_value=0.01, default=1.0, step=0.1),
    },
)

edited, problems = dimensions_from_rows(
    names.to_dict("records"),
    [
        {**row, "label": None if row["label"] == ALL_LABELS else row["label"]}
        for row in values.to_dict("records")
    ],
    project.labels,
)
for problem in problems:
    st.error(plain(problem))
unsaved = bool(problems) or edited != [d.model_copy(update={"id": None}) for d in dimensions]
if not problems and unsaved:
    st.caption(
        f"Unsaved changes: {combination_count(edited, project.labels):,} combinations after saving."
    )
    if st.button("Save attributes", type="primary"):
        save(edited)
busy = "Save or undo the table edits above first." if unsaved else None

# -- proposals --------------------------------------------------------------------------
st.subheader("Propose with the LLM")
st.caption(
    "The model suggests, you decide: nothing is added until you pick it. The embedded demo "
    "model is small and often off the mark; a larger model through an OpenAI-compatible "
    "server (sidebar) proposes far better."
)
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
    label = right.selectbox("For", label_options, key="attributes_propose_label")
    label = None if label == ALL_LABELS else label
count = st.number_input("How many", 1, 30, 5 if kind == "dimensions" else 10, key="attributes_n")

can_ask = kind == "dimensions" or bool(dimensions)
if st.button("Ask the model", key="attributes_propose", disabled=not can_ask):
    if kind == "dimensions":
        request = proposals.dimension_messages(project, int(count))
    else:
        meaning = next(d.description for d in dimensions if d.name == dimension)
        request = proposals.value_messages(project, dimension, meaning, label, int(count))
    replies = ask([request], proposals.PROPOSAL_PARAMS)
    if replies is not None:
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

proposal = st.session_state.get("attributes_proposals")
if proposal and proposal["project"] == project.id:
    what = proposal["dimension"] or "new dimensions"
    if proposal["label"]:
        what += f" (label {proposal['label']})"
    if not proposal["rows"]:
        st.warning(f"The reply held no usable proposal for {what}. It said:")
        st.text(proposal["reply"] or "(empty)")
    else:
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
        if st.button(
            f"Add {len(kept)} to the attributes",
            key="attributes_add_proposals",
            disabled=bool(busy) or not kept,
        ):
            try:
                if proposal["kind"] == "dimensions":
                    pairs = [(cell(r["name"]), cell(r["description"])) for r in kept]
                    new = add_dimensions(dimensions, pairs)
                else:
                    picked_values = [cell(r["value"]) for r in kept]
                    new = add_values(
                        dimensions, proposal["dimension"], proposal["label"], picked_values
                    )
            except ValueError as error:
                st.error(plain(str(error)))
            else:
                st.session_state.pop("attributes_proposals")
                save(new)

# -- similar labels --------------------------------------------------------------------
if len(project.labels) < 2:
    st.stop()
st.subheader("Similar labels")
st.caption(
    "A value meant for one label that fits a similar label too makes ambiguous data, so "
    "AttrPrompt removes it. Name up to 5 similar labels for each label, or let the model "
    "propose them. Values a similar label also lists are flagged; the model can flag more."
)
if st.button("Ask the model for similar labels", key="attributes_similar_ask"):
    requests = [proposals.similar_label_messages(project, name) for name in project.labels]
    replies = ask(requests, proposals.CHECK_PARAMS)
    if replies is not None:
        for name, reply in zip(project.labels, replies, strict=True):
            found = proposals.parse_similar_labels(reply, project.labels, name)
            st.session_state[f"attributes_similar_{project.id}_{name}"] = found
        st.session_state.pop("attributes_model_flags", None)

similar = {
    name: st.multiselect(
        f"Similar to {plain(name)}",
        [other for other in project.labels if other != name],
        key=f"attributes_similar_{project.id}_{name}",
        max_selections=proposals.MAX_SIMILAR,
    )
    for name in project.labels
}
questions = ambiguity_questions(dimensions, similar)
if st.button(
    "Ask the model which values fit a similar label",
    key="attributes_ambiguity_ask",
    disabled=not questions,
    help=None if questions else "Needs per-label values and similar labels.",
):
    requests = [
        proposals.ambiguity_messages(project, name, similar[name], dim, listed)
        for dim, name, listed in questions
    ]
    replies = ask(requests, proposals.CHECK_PARAMS)
    if replies is not None:
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

model_flags = [ValueFlag(**raw) for raw in st.session_state.get("attributes_model_flags", [])]
flagged = flags_to_review(dimensions, similar, model_flags)
if not flagged:
    st.caption("No value is flagged.")
    st.stop()
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
removed = [flag for flag, keep in zip(flagged, decided["keep"], strict=True) if not keep]
if busy:
    st.caption(busy)
if st.button(
    f"Remove {len(removed)} flagged value{'s' if len(removed) != 1 else ''}",
    key="attributes_remove_flags",
    disabled=bool(busy) or not removed,
):
    st.session_state.pop("attributes_model_flags", None)
    save(remove_values(dimensions, removed))
