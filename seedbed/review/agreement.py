"""Agreement between annotators (Cohen's kappa), and the overlap that feeds it.

A project's overlap fraction picks candidates that, once decided, go to a second
annotator's queue (seedbed.review.curation serves them first). Candidates also reach two
annotators when someone re-reviews another's decision. Only decisions in force
count: an undone decision is ignored, and each annotator's latest decision stands.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sklearn.metrics import cohen_kappa_score
from sqlalchemy import ColumnElement, and_, delete, distinct, func, insert, select, update

from seedbed.store import schema as t
from seedbed.store.core import Store

DECISIONS = ("accepted", "rejected")


def effective() -> ColumnElement[bool]:
    """Review rows that are decisions still in force (not undo rows, not undone)."""
    r = t.reviews.c
    return and_(r.decision.in_(DECISIONS), r.undone.is_(False))


# -- overlap: which candidates go to a second annotator ---------------------------------------
def overlap_fraction(store: Store, project_id: int) -> float:
    query = select(t.review_settings.c.overlap).where(t.review_settings.c.project_id == project_id)
    with store.engine.connect() as conn:
        return float(conn.execute(query).scalar() or 0.0)


def set_overlap_fraction(store: Store, project_id: int, fraction: float) -> None:
    """Send about `fraction` (0-1) of the decided candidates to a second annotator."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("The overlap is a fraction between 0 and 1.")
    s = t.review_settings.c
    with store.engine.begin() as conn:
        query = update(t.review_settings).where(s.project_id == project_id)
        if not conn.execute(query.values(overlap=fraction)).rowcount:
            conn.execute(insert(t.review_settings).values(project_id=project_id, overlap=fraction))


def picked_for_overlap(candidate_id: int, fraction: float) -> bool:
    """A fixed, evenly spread choice of candidates (Knuth's multiplicative hash)."""
    return (candidate_id * 2654435761) % 2**32 < fraction * 2**32


def sync_overlap(store: Store, candidate_id: int, project_id: int) -> None:
    """Queue the candidate for a second opinion when it is picked and has one decider."""
    fraction = overlap_fraction(store, project_id)
    r, q = t.reviews.c, t.overlap_queue.c
    with store.engine.begin() as conn:
        conn.execute(delete(t.overlap_queue).where(q.candidate_id == candidate_id))
        if not picked_for_overlap(candidate_id, fraction):
            return
        deciders = select(r.annotator).where(r.candidate_id == candidate_id, effective())
        deciders = deciders.distinct()
        names = list(conn.execute(deciders.limit(2)).scalars())
        if len(names) == 1:
            row = {"candidate_id": candidate_id, "project_id": project_id}
            conn.execute(insert(t.overlap_queue).values(**row, first_annotator=names[0]))


def kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels; None when undefined (a single label used)."""
    if len(first) < 2 or len(set(first) | set(second)) < 2:
        return None
    return float(cohen_kappa_score(first, second, labels=list(DECISIONS)))


def _summary(first: list[str], second: list[str]) -> dict[str, Any]:
    same = sum(a == b for a, b in zip(first, second, strict=True))
    return {
        "items": len(first),
        "observed_agreement": same / len(first) if first else None,
        "kappa": kappa(first, second),
    }


def _doubly_decided(store: Store, project_id: int) -> dict[int, dict[str, str]]:
    """candidate id -> {annotator: latest decision}, annotators in order of first decision."""
    r, c = t.reviews.c, t.candidates.c
    shared = (
        select(r.candidate_id)
        .join(t.candidates, c.id == r.candidate_id)
        .where(c.project_id == project_id, effective())
        .group_by(r.candidate_id)
        .having(func.count(distinct(r.annotator)) >= 2)
    )
    query = (
        select(r.candidate_id, r.annotator, r.decision)
        .where(r.candidate_id.in_(shared), effective())
        .order_by(r.candidate_id, r.id)
    )
    decided: dict[int, dict[str, str]] = defaultdict(dict)
    with store.engine.connect() as conn:
        for candidate_id, annotator, decision in conn.execute(query):
            decided[candidate_id][annotator] = decision
    return decided


def agreement(store: Store, project_id: int, max_listed: int = 100) -> dict[str, Any]:
    """How often two annotators of the same candidate agree, overall and per pair.

    Returns a dict: `items` (candidates with two decisions), `observed_agreement`
    and `kappa` (first vs second annotator of each candidate; None when undefined),
    `by_pair` (the same per pair of annotators), `disagreements` (up to
    `max_listed` candidate ids) and `overlap` (the project's configured fraction).
    """
    first, second, disagreements = [], [], []
    pairs: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for candidate_id, by_annotator in _doubly_decided(store, project_id).items():
        (name_a, a), (name_b, b) = list(by_annotator.items())[:2]
        first.append(a)
        second.append(b)
        if a != b and len(disagreements) < max_listed:
            disagreements.append(candidate_id)
        (low, x), (high, y) = sorted([(name_a, a), (name_b, b)])
        pairs[(low, high)][0].append(x)
        pairs[(low, high)][1].append(y)
    by_pair = [
        {"annotators": names, **_summary(*labels)} for names, labels in sorted(pairs.items())
    ]
    return {
        **_summary(first, second),
        "by_pair": by_pair,
        "disagreements": disagreements,
        "overlap": overlap_fraction(store, project_id),
    }
