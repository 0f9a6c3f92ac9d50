"""Human curation: queue claims, decisions with conflict checks, undo.

Everything here is safe across processes because it lives in the database: a
claim is a row whose primary key only one session can hold until it expires, and
a decision states the candidate version its annotator saw, so a decision made
on a stale card is refused (ReviewConflict) instead of overwriting another one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, null, or_, select, update
from sqlalchemy.exc import IntegrityError

from seedbed.checks import empty_fields
from seedbed.errors import StoreError
from seedbed.models import Candidate, CandidateStatus, Review, utcnow
from seedbed.review import judge
from seedbed.review.agreement import DECISIONS, agreement, effective, sync_overlap
from seedbed.store import schema as t
from seedbed.store.core import Store, refused_decision

__all__ = ["DECISIONS", "agreement"]  # agreement measures live in seedbed.review.agreement

CLAIM_TTL = timedelta(minutes=10)
QUEUE_ORDERS = {
    "oldest": "Oldest first",
    "newest": "Newest first",
    "judge_low": "AI judge score, lowest first",
    "judge_high": "AI judge score, highest first",
    "judge_unsure": "AI judges least sure first (their disagreements first)",
}
_CLAIM_ATTEMPTS = 50


@dataclass
class QueueItem:
    """What queue mode shows: a claimed candidate, maybe as a second opinion."""

    candidate: Candidate
    second_opinion: bool = False


@dataclass
class Decision:
    review_id: int
    # "accepted by ana" when this decision replaced another annotator's different one.
    replaced: str | None = None


# -- claims ---------------------------------------------------------------------------------
def claim(
    store: Store,
    candidate_id: int,
    project_id: int,
    owner: str,
    annotator: str,
    ttl: timedelta = CLAIM_TTL,
) -> bool:
    """Hold `candidate_id` for the session `owner` (or renew its hold); False if someone has it.

    Atomic in the database: an expired or own claim is taken over by one UPDATE,
    a new one is an INSERT that the primary key lets only one session win.
    """
    now = utcnow()
    values = {"owner": owner, "annotator": annotator, "expires_at": now + ttl}
    k = t.review_claims.c
    mine_or_expired = or_(k.owner == owner, k.expires_at <= now)
    try:
        with store.engine.begin() as conn:
            query = update(t.review_claims).where(k.candidate_id == candidate_id, mine_or_expired)
            if not conn.execute(query.values(values)).rowcount:
                row = {"candidate_id": candidate_id, "project_id": project_id, **values}
                conn.execute(insert(t.review_claims).values(row))
    except IntegrityError:
        return False
    return True


def release(store: Store, candidate_id: int, owner: str) -> None:
    """Give up `owner`'s claim on a candidate (a skip), so another annotator can take it."""
    k = t.review_claims.c
    with store.engine.begin() as conn:
        conn.execute(
            delete(t.review_claims).where(k.candidate_id == candidate_id, k.owner == owner)
        )


def held_by_others(owner: str, now: Any) -> Any:
    """SQL condition: the candidate is in another session's queue right now."""
    k, c = t.review_claims.c, t.candidates.c
    return exists().where(k.candidate_id == c.id, k.expires_at > now, k.owner != owner)


def claim_next(
    store: Store,
    project_id: int,
    owner: str,
    annotator: str,
    order: str = "oldest",
    skip: Iterable[int] = (),
) -> QueueItem | None:
    """Claim and return the next candidate for this session, or None when none is free.

    Second opinions (candidates picked for overlap, decided by someone else) come
    first, then pending candidates in `order` (see QUEUE_ORDERS); `skip` lists ids
    this session passed over.
    """
    tried = set(skip)
    for _ in range(_CLAIM_ATTEMPTS):
        found = _next_free(store, project_id, owner, annotator, order, tried)
        if found is None:
            return None
        candidate_id, second = found
        if claim(store, candidate_id, project_id, owner, annotator):
            candidate = store.get_candidate(candidate_id)
            if candidate is not None and (second or candidate.status == CandidateStatus.PENDING):
                return QueueItem(candidate, second)
            release(store, candidate_id, owner)  # decided meanwhile
        tried.add(candidate_id)
    return None


def _next_free(
    store: Store, project_id: int, owner: str, annotator: str, order: str, tried: set[int]
) -> tuple[int, bool] | None:
    if order not in QUEUE_ORDERS:
        raise ValueError(f"Unknown queue order '{order}'.")
    now = utcnow()
    c, q, j = t.candidates.c, t.overlap_queue.c, t.judge_scores.c
    free = [~held_by_others(owner, now), c.id.not_in(tried)]
    pending = [c.project_id == project_id, c.status == CandidateStatus.PENDING.value, *free]
    second = (
        select(c.id)
        .join(t.overlap_queue, q.candidate_id == c.id)
        .where(q.project_id == project_id, q.first_annotator != annotator, *free)
        .order_by(c.id)
    )
    queries = [(second, True)]
    if order == "judge_unsure":
        queries.append((_least_sure_first(store, project_id, pending), False))
    elif order.startswith("judge"):
        score = j.overall.desc() if order == "judge_high" else j.overall
        scored = select(c.id).join(t.judge_scores, j.candidate_id == c.id)
        scored = scored.where(j.project_id == project_id, j.overall.is_not(None), *pending)
        queries.append((scored.order_by(score, c.id), False))
    newest = order == "newest"
    queries.append((select(c.id).where(*pending).order_by(c.id.desc() if newest else c.id), False))
    with store.engine.connect() as conn:
        for query, is_second in queries:
            candidate_id = conn.execute(query.limit(1)).scalar()
            if candidate_id is not None:
                return candidate_id, is_second
    return None


def _least_sure_first(store: Store, project_id: int, pending: list[Any]) -> Any:
    """Scored pending candidates: those the judges disagree on first, then by how close
    the nearest judge's overall score is to the accept threshold."""
    accept_at = judge.settings(store, project_id).accept_at
    c, j = t.candidates.c, t.judge_scores.c
    per = (
        select(
            j.candidate_id,
            func.min(j.overall).label("low"),
            func.max(j.overall).label("high"),
            func.min(func.abs(j.overall - accept_at)).label("margin"),
        )
        .where(j.project_id == project_id, j.overall.is_not(None))
        .group_by(j.candidate_id)
        .subquery()
    )
    split = case((and_(per.c.low < accept_at, per.c.high >= accept_at), 0), else_=1)
    query = select(c.id).join(per, per.c.candidate_id == c.id).where(*pending)
    return query.order_by(split, per.c.margin, c.id)


# -- decisions ------------------------------------------------------------------------------
def decide(
    store: Store,
    seen: Candidate,
    decision: str,
    annotator: str,
    edited: dict[str, str] | None = None,
    reason: str | None = None,
    automatic: bool = False,
) -> Decision:
    """Record `annotator`'s decision on the candidate as they saw it (`seen`), at once.

    Raises ReviewConflict when the candidate changed after `seen` was read, and
    StoreError when it no longer exists or an acceptance would keep an empty required
    field (`refuse_empty`). `automatic` marks a judge's decision made alone. Replacing
    another annotator's different decision on purpose (a second opinion, a re-review)
    is reported in the result.
    """
    if decision not in DECISIONS:
        raise StoreError(f"Unknown decision '{decision}'.")
    if decision == CandidateStatus.ACCEPTED:
        refuse_empty(edited if edited is not None else seen.final_content)
    review = Review(
        candidate_id=seen.id,
        decision=decision,
        edited_content=edited,
        annotator=annotator,
        reason=(reason or "").strip() or None,
        automatic=automatic,
    )
    review_id = store.record_review(review, expected_version=seen.version)
    replaced = None
    if seen.status.value != decision and seen.reviewed_by and seen.reviewed_by != annotator:
        replaced = f"{seen.status.value} by {seen.reviewed_by}"
    sync_overlap(store, seen.id, seen.project_id)
    return Decision(review_id, replaced)


def refuse_empty(content: dict[str, str]) -> None:
    """Raise StoreError when `content` has an empty required field: it cannot be accepted."""
    empty = empty_fields(content)
    if empty:
        what = f"{' and '.join(empty)} {'is' if len(empty) == 1 else 'are'}"
        raise StoreError(f"The {what} empty: fill it (Edit) before accepting.")


def last_decision(store: Store, project_id: int, annotator: str) -> Review | None:
    """`annotator`'s latest decision in the project that has not been undone."""
    r, c = t.reviews.c, t.candidates.c
    query = (
        select(t.reviews)
        .join(t.candidates, c.id == r.candidate_id)
        .where(c.project_id == project_id, r.annotator == annotator, effective())
        .order_by(r.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return Review(**row._mapping) if row else None


def undo_last(store: Store, project_id: int, annotator: str) -> Review | None:
    """Reverse `annotator`'s latest decision; returns it, or None when there is none.

    The candidate gets back the state its remaining decisions give it (pending when
    none is left), the undo is recorded as a review row, and ReviewConflict is
    raised when someone decided the candidate after that decision.
    """
    last = last_decision(store, project_id, annotator)
    if last is None:
        return None
    c, r = t.candidates.c, t.reviews.c
    expected = last.version
    if expected is None:  # a decision stored before versions existed
        current = store.get_candidate(last.candidate_id)
        expected = current.version if current else -1
    with store.engine.begin() as conn:
        bump = update(t.candidates).where(c.id == last.candidate_id, c.version == expected)
        version = conn.execute(bump.values(version=c.version + 1).returning(c.version)).scalar()
        if version is None:
            raise refused_decision(conn, last.candidate_id)
        conn.execute(update(t.reviews).where(r.id == last.id).values(undone=True))
        undo = {"decision": "undo", "undoes_id": last.id, "version": version}
        row = {"candidate_id": last.candidate_id, "annotator": annotator, "created_at": utcnow()}
        conn.execute(insert(t.reviews).values(**row, **undo))
        state = _state_from_history(conn, last.candidate_id)
        conn.execute(update(t.candidates).where(c.id == last.candidate_id).values(state))
    sync_overlap(store, last.candidate_id, project_id)
    return last


def _state_from_history(conn: Any, candidate_id: int) -> dict[str, Any]:
    """Status, edit and reviewer that the candidate's decisions still in force give it."""
    r = t.reviews.c
    query = (
        select(r.decision, r.edited_content, r.annotator, r.created_at)
        .where(r.candidate_id == candidate_id, effective())
        .order_by(r.id)
    )
    rows = conn.execute(query).all()
    if not rows:
        pending = CandidateStatus.PENDING.value
        return {
            "status": pending,
            "edited_content": null(),
            "reviewed_by": None,
            "reviewed_at": None,
        }
    edits = [row.edited_content for row in rows if row.edited_content is not None]
    return {
        "status": rows[-1].decision,
        "edited_content": edits[-1] if edits else null(),
        "reviewed_by": rows[-1].annotator,
        "reviewed_at": rows[-1].created_at,
    }
