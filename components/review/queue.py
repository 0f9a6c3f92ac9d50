"""Queue mode of the Review page: one claimed candidate at a time, decided by click or key.

The candidate on screen is claimed in the database for this browser session, so
another annotator's queue skips it; each decision states the version the card
showed, so a decision on a card someone changed meanwhile is refused with a
message instead of overwriting theirs.
"""

from __future__ import annotations

import streamlit as st

from components.cards import field_title, review_card
from components.review.panels import annotators_panel, judge_panel, nearest_neighbour
from components.shortcuts import keyboard_shortcuts, shortcut_legend
from components.state import annotator, plain
from seedbed.checks import empty_fields
from seedbed.conversations import cut, exchanges
from seedbed.errors import ReviewConflict, StoreError
from seedbed.models import Candidate, CandidateStatus, Project
from seedbed.review import curation, judge
from seedbed.review.curation import QueueItem
from seedbed.store.core import Store

SHORTCUTS = {
    "a": "review_accept",
    "r": "review_reject",
    "e": "review_edit",
    "s": "review_skip",
    "u": "review_undo",
}
LEGEND = {"a": "accept", "r": "reject", "e": "edit", "s": "skip", "u": "undo"}
QUICK_REASONS = ["off-topic", "wrong label", "low quality", "factually wrong", "duplicate"]
_SHOW = {"toast": st.toast, "error": st.error, "warning": st.warning, "info": st.info}


def flash(kind: str, message: str) -> None:
    """A message for the next run of the page (set by button callbacks)."""
    st.session_state.setdefault("review_flash", []).append((kind, message))


def show_flash() -> None:
    """Show (once) the messages the last action left for this run."""
    for kind, message in st.session_state.pop("review_flash", []):
        _SHOW[kind](message)


def _conflict_message(error: ReviewConflict) -> str:
    who = f" by {plain(error.by)}" if error.by else ""
    return (
        f"Candidate {error.candidate_id} changed after you opened it: it is now "
        f"{error.status}{who}. Your decision was not saved; open it again to decide anew."
    )


# -- which candidate is on screen ---------------------------------------------------------
def _current_item(store: Store, project: Project, owner: str, who: str) -> QueueItem | None:
    focus = st.session_state.pop("review_focus_id", None)
    if focus is not None:
        st.session_state["review_current"] = (int(focus), "focus")
    current = st.session_state.get("review_current")
    if current is not None:
        item = _keep(store, project, owner, who, *current)
        if item is not None:
            return item
        st.session_state.pop("review_current", None)
    skipped = st.session_state.setdefault(f"review_skipped_{project.id}", [])
    order = st.session_state.get("review_order", "oldest")
    item = curation.claim_next(store, project.id, owner, who, order, skip=skipped)
    if item is None and skipped:
        skipped.clear()  # only skipped ones are left: go round again
        item = curation.claim_next(store, project.id, owner, who, order)
    if item is not None:
        why = "second" if item.second_opinion else "queue"
        st.session_state["review_current"] = (item.candidate.id, why)
    return item


def _keep(
    store: Store, project: Project, owner: str, who: str, candidate_id: int, why: str
) -> QueueItem | None:
    """The candidate this session already shows, with its claim renewed (None: move on)."""
    candidate = store.get_candidate(candidate_id)
    if candidate is None or candidate.project_id != project.id:
        return None
    held = curation.claim(store, candidate.id, project.id, owner, who)
    if why == "focus":
        if not held:
            st.warning("Another annotator has this candidate in their queue right now.")
        return QueueItem(candidate)
    if not held or (why == "queue" and candidate.status != CandidateStatus.PENDING):
        st.info(f"Candidate {candidate.id} was taken or decided elsewhere; here is the next.")
        return None
    return QueueItem(candidate, second_opinion=why == "second")


# -- actions (button callbacks: they run before the page draws again) ---------------------
def _decide(store: Store, card: Candidate, decision: str, edited: dict | None = None) -> None:
    reason = None
    if decision == "rejected":
        picked = st.session_state.get(f"review_reason_pick_{card.id}")
        typed = st.session_state.get(f"review_reason_{card.id}", "").strip()
        reason = "; ".join(part for part in (picked, typed) if part) or None
    try:
        result = curation.decide(store, card, decision, annotator(), edited, reason)
    except ReviewConflict as error:
        flash("error", _conflict_message(error))
        st.session_state["review_conflict_id"] = card.id
    except StoreError as error:
        flash("error", str(error))
    else:
        flash("toast", f"Candidate {card.id} {decision}.")
        st.session_state.pop("review_conflict_id", None)
        if result.replaced:
            flash("warning", f"Your decision replaced a different one: {plain(result.replaced)}.")
    st.session_state.pop("review_current", None)
    st.session_state["review_editing"] = False


def _save_edit(store: Store, card: Candidate, fields: list[str]) -> None:
    edited = {field: st.session_state[f"review_edit_{card.id}_{field}"] for field in fields}
    _decide(store, card, "accepted", edited)


def _skip(store: Store, project: Project, card: Candidate) -> None:
    st.session_state.setdefault(f"review_skipped_{project.id}", []).append(card.id)
    curation.release(store, card.id, st.session_state["review_owner"])
    st.session_state.pop("review_current", None)
    st.session_state["review_editing"] = False


def _undo(store: Store, project: Project) -> None:
    try:
        undone = curation.undo_last(store, project.id, annotator())
    except ReviewConflict as error:
        flash("error", _conflict_message(error).replace("Your decision", "The undo"))
        return
    if undone is None:
        flash("info", "You have no decision left to undo in this project.")
        return
    flash("toast", f"Undid: candidate {undone.candidate_id} {undone.decision}.")
    st.session_state["review_current"] = (undone.candidate_id, "focus")
    st.session_state["review_editing"] = False


def _cut(store: Store, card: Candidate) -> None:
    keep = st.session_state[f"review_cut_{card.id}"]
    # An edit that drops the later turns: the whole conversation stays as the original.
    _decide(store, card, "accepted", cut(card.final_content, keep))


def _cut_controls(store: Store, card: Candidate) -> None:
    """Keep a conversation up to an exchange and accept that (the later turns are dropped)."""
    total = exchanges(card.final_content)
    if total < 2:
        return
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.selectbox(
        "Cut the conversation: keep exchanges 1 to",
        list(range(1, total)),
        index=total - 2,
        key=f"review_cut_{card.id}",
        help="Later turns are dropped; the original stays beside the cut, as with an edit.",
    )
    right.button(
        "Cut here and accept",
        key="review_cut",
        on_click=_cut,
        args=(store, card),
        width="stretch",
    )


def _toggle_edit() -> None:
    st.session_state["review_editing"] = not st.session_state.get("review_editing", False)


def _open(candidate_id: int) -> None:
    st.session_state["review_focus_id"] = candidate_id
    st.session_state.pop("review_conflict_id", None)


# -- drawing ------------------------------------------------------------------------------
def _origin(store: Store, project: Project, candidate: Candidate) -> tuple[str, str] | None:
    lineage = candidate.lineage
    for key in ("parent_id", "completion_of"):
        if isinstance(lineage.get(key), int):
            parent = store.get_candidate(lineage[key])
            if parent is not None:
                return f"Derived from candidate {parent.id}", parent.text
    if isinstance(lineage.get("seed_id"), int):
        seeds = {task.id: task for task in store.list_seed_tasks(project.id)}
        seed = seeds.get(lineage["seed_id"])
        if seed is not None:
            return f"Derived from seed task {seed.id}", seed.instruction
    return None


def _action_buttons(store: Store, project: Project, card: Candidate) -> None:
    empty = empty_fields(card.final_content)
    if empty:
        st.warning(
            f"Empty {' and '.join(empty)}: this candidate cannot be accepted as it is. "
            "Edit it to fill the field, then accept."
        )
    columns = st.columns(5)
    buttons = [
        ("Accept", "review_accept", _decide, (store, card, "accepted"), "primary"),
        ("Reject", "review_reject", _decide, (store, card, "rejected"), "secondary"),
        ("Edit", "review_edit", _toggle_edit, (), "secondary"),
        ("Skip", "review_skip", _skip, (store, project, card), "secondary"),
        ("Undo last", "review_undo", _undo, (store, project), "tertiary"),
    ]
    for column, (label, key, action, args, kind) in zip(columns, buttons, strict=True):
        letter = key.split("_")[1][0]
        column.button(
            f"{label} ({letter})",
            key=key,
            on_click=action,
            args=args,
            type=kind,
            width="stretch",
            disabled=key == "review_accept" and bool(empty),
        )
    reason = st.columns([3, 2])
    reason[0].pills(
        "Reason for a rejection (optional)", QUICK_REASONS, key=f"review_reason_pick_{card.id}"
    )
    reason[1].text_input(
        "Or in your words", key=f"review_reason_{card.id}", placeholder="why it is rejected"
    )


def _edit_form(store: Store, project: Project, card: Candidate) -> None:
    with st.form(f"review_edit_form_{card.id}", border=True):
        st.caption("Edit, then accept: the original text is kept beside your edit.")
        fields = [field for field in card.final_content if field != "label"]
        for field in fields:
            st.text_area(
                field_title(field), card.final_content[field], key=f"review_edit_{card.id}_{field}"
            )
        if "label" in card.content:
            options = project.labels or [card.content["label"]]
            current = card.final_content["label"]
            st.selectbox(
                "Label",
                options,
                index=options.index(current) if current in options else 0,
                key=f"review_edit_{card.id}_label",
            )
            fields.append("label")
        st.form_submit_button(
            "Save edit and accept",
            type="primary",
            key="review_save_edit",
            on_click=_save_edit,
            args=(store, card, fields),
        )


def queue_mode(store: Store, project: Project) -> None:
    """Draw queue mode: the current candidate's card, its actions and their shortcuts.

    Needs `review_owner` in session state (this browser session's claim identity).
    """
    conflicted = st.session_state.get("review_conflict_id")
    if conflicted is not None:
        st.button(
            f"Open candidate {conflicted} again",
            key="review_conflict_open",
            on_click=_open,
            args=(conflicted,),
        )
    top = st.columns([2, 2, 3], vertical_alignment="bottom")
    top[0].selectbox(
        "Queue order",
        list(curation.QUEUE_ORDERS),
        format_func=curation.QUEUE_ORDERS.get,
        key="review_order",
    )
    top[1].toggle(
        "Nearest accepted neighbour",
        key="review_neighbour",
        help="Embeds the candidate and the accepted set (the first time loads the embedding "
        "model: a few seconds).",
    )
    top[2].caption("Keys: " + shortcut_legend(LEGEND))
    item = _current_item(store, project, st.session_state["review_owner"], annotator())
    if item is None:
        st.success("Nothing is waiting for review.")
        st.page_link("pages/generate.py", label="Generate more", icon=":material/auto_awesome:")
        st.button("Undo last (u)", key="review_undo", on_click=_undo, args=(store, project))
        keyboard_shortcuts({"u": "review_undo"}, key="review_shortcuts")
    else:
        _draw_item(store, project, item)
    judge_panel(store, project)
    annotators_panel(store, project, on_open=_open)


def _draw_item(store: Store, project: Project, item: QueueItem) -> None:
    card = item.candidate
    if item.second_opinion:
        st.info(
            "Second opinion: another annotator decided this one. Decide on your own; "
            "agreement between you is measured."
        )
    elif card.status != CandidateStatus.PENDING:
        st.info(f"Already {card.status.value}: a decision here replaces that one.")
    with st.container(border=True):
        shown = "second opinion" if item.second_opinion else card.status.value  # stay blind
        st.caption(f"Candidate {card.id} · {shown}")
        review_card(
            card,
            judges=judge.results_for(store, [card.id]).get(card.id, []),
            accept_at=judge.settings(store, project.id).accept_at,
            neighbour=nearest_neighbour(store, project, card),
            origin=_origin(store, project, card),
            blind=item.second_opinion,
        )
    _action_buttons(store, project, card)
    _cut_controls(store, card)
    editing = st.session_state.get("review_editing", False)
    if editing:
        _edit_form(store, project, card)
    first_field = next((f for f in card.final_content if f != "label"), None)
    focus = f"review_edit_{card.id}_{first_field}" if editing and first_field else None
    keyboard_shortcuts(SHORTCUTS, focus=focus, key="review_shortcuts")
