"""How a candidate looks: its content as plain text, where it came from, and its checks.

Model output, attribute values, names and check details are shown with st.text or
inside dataframes, never as markdown or HTML, so markup in them stays literal.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from components.state import plain, show_text
from seedbed.conversations import is_conversation, turns
from seedbed.jobs.context import POOL_RULE
from seedbed.models import Candidate
from seedbed.review.judge import ACCEPT_AT, CRITERIA, JudgeResult, disagree, verdict
from seedbed.review.neighbours import Neighbour

FIELD_TITLES = {
    "instruction": "Instruction",
    "input": "Input",
    "output": "Output",
    "text": "Text",
    "label": "Label",
}
_CLOSEST = "closest: "


def field_title(field: str) -> str:
    """A content field's title: "Instruction", "User 2" for a conversation's turn key."""
    return FIELD_TITLES.get(field, field.replace("_", " ").capitalize())


def content_fields(content: dict[str, str]) -> None:
    """Each field under its title, as plain text (an empty input is left out);
    a conversation as a chat, one bubble a turn."""
    if is_conversation(content):
        chat(content)
        return
    for field, value in content.items():
        if field == "input" and not value:
            continue
        st.caption(plain(field_title(field)))
        show_text(value)


def chat(content: dict[str, str]) -> None:
    """A conversation's turns as chat messages, each turn's text as plain text."""
    for index, (role, text) in enumerate(turns(content)):
        with st.chat_message(role):
            st.caption(f"{role.capitalize()} · exchange {index // 2 + 1}")
            show_text(text)


def candidate_card(candidate: Candidate) -> None:
    """The compact card (Generate's preview): content, provenance, checks."""
    content_fields(candidate.final_content)
    facts = [f"method: {candidate.method}", f"model: {candidate.model}"]
    facts += [f"{name}: {value}" for name, value in candidate.attributes.items()]
    st.text(" · ".join(facts))
    checks_table(candidate)


def review_card(
    candidate: Candidate,
    *,
    judges: Sequence[JudgeResult] = (),
    accept_at: float = ACCEPT_AT,
    neighbour: Neighbour | None = None,
    origin: tuple[str, str] | None = None,
    blind: bool = False,
) -> None:
    """The large review card: content on the left; provenance, checks, judge on the right.

    `origin` is (title, text) of the item it was derived from; `blind` hides who
    decided the candidate before (a second opinion); `judges` are the AI judges'
    results, whose verdict is "accept" from `accept_at`.
    """
    left, right = st.columns([3, 2], gap="large")
    with left:
        content_fields(candidate.final_content)
        if candidate.edited_content is not None:
            with st.expander("Original, before the edit"):
                content_fields(candidate.content)
        if origin is not None:
            st.caption(origin[0])
            show_text(origin[1])
    with right:
        st.dataframe(_facts(candidate, blind), hide_index=True, width="stretch")
        novelty_block(candidate)
        if neighbour is not None:
            st.caption(f"Nearest accepted neighbour (cosine {neighbour.cosine:.3f})")
            show_text(neighbour.text)
        judge_block(judges, accept_at)
        checks_table(candidate)


def _facts(candidate: Candidate, blind: bool) -> pd.DataFrame:
    rows = [("method", candidate.method), ("model", candidate.model or "(unknown)")]
    if candidate.label:
        rows.append(("label", candidate.label))
    rows += [(f"attribute · {name}", value) for name, value in candidate.attributes.items()]
    rows += [(f"lineage · {name}", str(value)) for name, value in candidate.lineage.items()]
    if candidate.job_id is not None:
        rows.append(("job", str(candidate.job_id)))
    rows.append(("created", f"{candidate.created_at:%Y-%m-%d %H:%M} UTC"))
    if not blind and candidate.reviewed_by:
        when = f"{candidate.reviewed_at:%Y-%m-%d %H:%M} UTC" if candidate.reviewed_at else ""
        rows.append(("decided", f"{candidate.status.value} by {candidate.reviewed_by} {when}"))
    return pd.DataFrame(rows, columns=["about", "value"])


def novelty_block(candidate: Candidate) -> None:
    """The ROUGE-L novelty score with the closest existing item beside it."""
    check = next((c for c in candidate.checks if c.name == "novelty"), None)
    if check is None or check.score is None:
        return
    verdict = "passed" if check.passed else "flagged: too close"
    st.caption(f"Novelty: ROUGE-L {check.score:.2f} against the pool ({verdict}). Closest item:")
    show_text(check.detail.removeprefix(_CLOSEST) if check.detail else "(none)")
    st.caption(POOL_RULE)


def judge_block(judges: Sequence[JudgeResult], accept_at: float) -> None:
    """Each AI judge's scores and verdict (or why it has none), and whether they disagree."""
    if not judges:
        return
    st.caption(f"AI judges' scores (their verdict is accept from {accept_at:g} overall)")
    for result in judges:
        name = result.model or "unknown model"
        if result.error or result.overall is None:
            st.text(f"{name}: {result.error or 'no score'}")
            continue
        scores = [f"{key.replace('_', '-')} {result.scores[key]:g}/5" for key in CRITERIA]
        decision = "accept" if verdict(result.overall, accept_at) == "accepted" else "reject"
        st.text(f"{name}: " + " · ".join(scores) + f" → {decision}")
    if disagree(judges, accept_at):
        st.caption("The judges disagree on this one: your decision settles it.")


def cut_notice(candidate: Candidate) -> str | None:
    """What a candidate says when its reply was cut at its token limit (None: it was not)."""
    check = next((c for c in candidate.checks if c.name == "truncated"), None)
    return None if check is None else f"Reply cut: {check.detail}."


def checks_table(candidate: Candidate) -> None:
    """Every automatic check with its verdict, score and reason; failed ones named on top."""
    if not candidate.checks:
        return
    failed = [check.name for check in candidate.checks if not check.passed]
    if failed:
        st.warning("Flagged by: " + ", ".join(failed))
    if notice := cut_notice(candidate):
        st.caption(plain(notice))
    frame = pd.DataFrame(
        [
            {
                "check": check.name,
                "passed": check.passed,
                "score": check.score,
                "detail": check.detail,
            }
            for check in candidate.checks
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
