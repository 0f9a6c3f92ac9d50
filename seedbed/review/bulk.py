"""Bulk decisions on a filtered selection (table mode), done in SQL a batch at a time.

Each changed candidate gets its own review row, as a single decision would. The
same conflict rules hold: a candidate in another annotator's queue is left alone,
and one decided by someone while the bulk runs keeps that decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DateTime, delete, insert, literal, select, tuple_, update

from seedbed.checks import empty_fields
from seedbed.errors import StoreError
from seedbed.models import CandidateFilter, CandidateStatus, utcnow
from seedbed.review.agreement import DECISIONS
from seedbed.review.curation import held_by_others
from seedbed.store import schema as t
from seedbed.store.core import Store, select_candidates


@dataclass
class BulkResult:
    changed: int = 0
    # Held in another annotator's queue, or decided by someone while the bulk ran.
    skipped: int = 0
    # Left pending by a bulk accept: a required field is empty (seedbed.checks.empty_fields).
    empty: int = 0


def bulk_filter(where: CandidateFilter | None, decision: str) -> CandidateFilter | None:
    """`where` narrowed to the candidates a bulk `decision` would change (None: none would)."""
    where = where or CandidateFilter()
    others = [status for status in CandidateStatus if status.value != decision]
    statuses = [status for status in (where.statuses or others) if status in others]
    return where.model_copy(update={"statuses": statuses}) if statuses else None


def bulk_count(store: Store, project_id: int, where: CandidateFilter | None, decision: str) -> int:
    """How many candidates a bulk `decision` on `where` would change."""
    target = bulk_filter(where, decision)
    return store.count_candidates(project_id, target) if target else 0


def bulk_decide(
    store: Store,
    project_id: int,
    where: CandidateFilter | None,
    decision: str,
    annotator: str,
    owner: str,
    reason: str | None = None,
    batch: int = 500,
) -> BulkResult:
    """Apply `decision` to every candidate `where` selects, in SQL, `batch` rows at a time.

    Each change is recorded as a review by `annotator`. Candidates another session
    holds in its queue are left alone and counted in `skipped`; an accept leaves
    candidates with an empty required field pending, counted in `empty`.
    """
    if decision not in DECISIONS:
        raise StoreError(f"Unknown decision '{decision}'.")
    target = bulk_filter(where, decision)
    c, result, last_id = t.candidates.c, BulkResult(), 0
    while target is not None:
        held = held_by_others(owner, utcnow()).label("held")
        columns = (c.id, c.version, held, c.content, c.edited_content)
        query = select_candidates(project_id, target).with_only_columns(*columns)
        with store.engine.connect() as conn:
            rows = conn.execute(query.where(c.id > last_id).order_by(c.id).limit(batch)).all()
        if not rows:
            return result
        last_id = rows[-1].id
        if decision == CandidateStatus.ACCEPTED:  # not data until someone fills the field
            full = [row for row in rows if not empty_fields(row.edited_content or row.content)]
            result.empty += len(rows) - len(full)
            rows = full
        free = [(row.id, row.version) for row in rows if not row.held]
        changed = _decide_batch(store, free, decision, annotator, reason) if free else 0
        result.changed += changed
        result.skipped += len(rows) - changed
    return result


def _decide_batch(
    store: Store, seen: list[tuple[int, int]], decision: str, annotator: str, reason: str | None
) -> int:
    c, r = t.candidates.c, t.reviews.c
    now = utcnow()
    values = {"status": decision, "reviewed_by": annotator, "reviewed_at": now}
    ids = [candidate_id for candidate_id, _ in seen]
    with store.engine.begin() as conn:
        # `id IN` lets the database use the primary key; the pairs keep the version check.
        batch = update(t.candidates).where(c.id.in_(ids))
        changed = batch.where(tuple_(c.id, c.version).in_(seen))
        conn.execute(changed.values(**values, version=c.version + 1))
        # The rows this batch changed: the next version, stamped with this very time.
        made = [(candidate_id, version + 1) for candidate_id, version in seen]
        stamp = literal(now, DateTime(timezone=True))
        rows = select(
            c.id, literal(decision), literal(annotator), stamp, literal(reason), c.version
        )
        rows = rows.where(c.id.in_(ids), tuple_(c.id, c.version).in_(made), c.reviewed_at == stamp)
        columns = [r.candidate_id, r.decision, r.annotator, r.created_at, r.reason, r.version]
        recorded = insert(t.reviews).from_select(columns, rows).returning(r.id)
        count = len(conn.execute(recorded).all())
        conn.execute(delete(t.review_claims).where(t.review_claims.c.candidate_id.in_(ids)))
    return count
