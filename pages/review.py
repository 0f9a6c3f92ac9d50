"""Review: accept, reject or edit each pending candidate; every decision is stored at once."""

import streamlit as st

from components.cards import candidate_card
from components.state import annotator, get_store, is_admin, require_project
from seedbed.models import Review
from seedbed.store import StoreError

store = get_store()
project = require_project(store)
counts = store.count_by_status(project.id)

st.title("Review")
columns = st.columns(3)
columns[0].metric("Pending", counts["pending"])
columns[1].metric("Accepted", counts["accepted"])
columns[2].metric("Rejected", counts["rejected"])

skip_key = f"review_skip_after_{project.id}"
candidate = store.next_pending(project.id, after_id=st.session_state.get(skip_key, 0))
if candidate is None and st.session_state.get(skip_key):
    st.session_state[skip_key] = 0  # wrapped past the last skipped one: start over
    candidate = store.next_pending(project.id)
if candidate is None:
    st.success("Nothing is waiting for review.")
    if is_admin():
        st.page_link("pages/generate.py", label="Generate more", icon=":material/auto_awesome:")
    st.stop()


def decide(decision: str, edited: dict[str, str] | None = None) -> None:
    try:
        store.record_review(
            Review(
                candidate_id=candidate.id,
                decision=decision,
                edited_content=edited,
                annotator=annotator() or "annotator",
            )
        )
    except StoreError as error:
        st.error(str(error))
        return
    st.session_state["review_last"] = f"Candidate {candidate.id} {decision}."
    st.rerun()


if "review_last" in st.session_state:
    st.toast(st.session_state.pop("review_last"))

with st.container(border=True):
    st.caption(
        f"Candidate {candidate.id}" + (f" · label: {candidate.label}" if candidate.label else "")
    )
    candidate_card(candidate)

accept, reject, skip = st.columns(3)
if accept.button("Accept", type="primary", key="review_accept", width="stretch"):
    decide("accepted")
if reject.button("Reject", key="review_reject", width="stretch"):
    decide("rejected")
if skip.button("Skip", key="review_skip", width="stretch"):
    st.session_state[skip_key] = candidate.id
    st.rerun()

with st.expander("Edit, then accept"), st.form(f"review_edit_{candidate.id}"):
    edited = {
        field: st.text_area(field.capitalize(), value, key=f"review_edit_{candidate.id}_{field}")
        for field, value in candidate.final_content.items()
        if field != "label"
    }
    if "label" in candidate.content:
        options = project.labels or [candidate.content["label"]]
        current = candidate.content["label"]
        edited["label"] = st.selectbox(
            "Label", options, index=options.index(current) if current in options else 0
        )
    if st.form_submit_button("Save edit and accept"):
        decide("accepted", edited)
