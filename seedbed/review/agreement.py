"""Agreement between raters, and the overlap that feeds it.

Cohen's kappa of human vs human and of each AI judge vs humans (per rubric and
per label), and Krippendorff's alpha over any number of annotators with missing
ratings. A project's overlap fraction picks candidates that, once decided, go to
a second annotator's queue (seedbed.review.curation serves them first); candidates
also reach two annotators when someone re-reviews another's decision. Only human
decisions in force count: an undone decision is ignored, each annotator's latest
decision stands, and a judge's automatic decision is never counted as a human one
(an auto-decided candidate picked for overlap goes to a person, who checks it).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import ColumnElement, and_, delete, distinct, func, insert, select, update

from seedbed.review.judge import RUBRICS, verdict
from seedbed.store import schema as t
from seedbed.store.core import Store

DECISIONS = ("accepted", "rejected")
ALL_LABELS = "all labels"


def effective() -> ColumnElement[bool]:
    """Review rows that are decisions still in force (not undo rows, not undone)."""
    r = t.reviews.c
    return and_(r.decision.in_(DECISIONS), r.undone.is_(False))


def human() -> ColumnElement[bool]:
    """Decisions in force that people made (not a judge's automatic ones)."""
    return and_(effective(), t.reviews.c.automatic.is_(False))


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
    """Queue the candidate for a second opinion when it is picked and has one decider
    (a person, or a judge deciding alone: a person then checks it)."""
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


def _human_rows(store: Store, project_id: int, at_least: int) -> list[Any]:
    """(candidate id, annotator, decision, label) of the human decisions in force on
    candidates that at least `at_least` people decided, oldest first."""
    r, c = t.reviews.c, t.candidates.c
    shared = (
        select(r.candidate_id)
        .join(t.candidates, c.id == r.candidate_id)
        .where(c.project_id == project_id, human())
        .group_by(r.candidate_id)
        .having(func.count(distinct(r.annotator)) >= at_least)
    )
    query = (
        select(r.candidate_id, r.annotator, r.decision, c.label)
        .join(t.candidates, c.id == r.candidate_id)
        .where(r.candidate_id.in_(shared), human())
        .order_by(r.candidate_id, r.id)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def _ratings(store: Store, project_id: int, at_least: int = 1) -> dict[int, dict[str, str]]:
    """candidate id -> {annotator: latest decision} of candidates `at_least` people
    decided; annotators in order of their first decision."""
    decided: dict[int, dict[str, str]] = defaultdict(dict)
    for candidate_id, annotator, decision, _label in _human_rows(store, project_id, at_least):
        decided[candidate_id][annotator] = decision
    return decided


def _latest_human(rows: list[Any]) -> dict[int, tuple[str, str]]:
    """candidate id -> (the latest human decision in force, its label), from `_human_rows`."""
    latest: dict[int, tuple[str, str]] = {}
    for candidate_id, _annotator, decision, label in rows:
        latest[candidate_id] = (decision, label or "")
    return latest


def agreement(store: Store, project_id: int, max_listed: int = 100) -> dict[str, Any]:
    """How often two annotators of the same candidate agree, overall and per pair.

    Returns a dict: `items` (candidates with two decisions), `observed_agreement`
    and `kappa` (first vs second annotator of each candidate; None when undefined),
    `by_pair` (the same per pair of annotators), `disagreements` (up to
    `max_listed` candidate ids) and `overlap` (the project's configured fraction).
    """
    first, second, disagreements = [], [], []
    pairs: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for candidate_id, by_annotator in _ratings(store, project_id, 2).items():
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


# -- judges against humans ---------------------------------------------------------------------
def _judge_scores(store: Store, project_id: int) -> list[Any]:
    j = t.judge_scores.c
    query = select(j.candidate_id, j.model, *(j[name] for name in RUBRICS)).where(
        j.project_id == project_id, j.overall.is_not(None)
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query.order_by(j.model, j.candidate_id)))


def _by_label(
    pairs: list[tuple[str, str, str]],
) -> list[tuple[str, list[str], list[str]]]:
    """(label, first, second) for all labels together, then each label on its own;
    `pairs` holds (label, first rater's decision, second rater's decision)."""
    labels = sorted({label for label, _, _ in pairs if label})
    groups = [(ALL_LABELS, pairs)]
    groups += [(label, [p for p in pairs if p[0] == label]) for label in labels]
    return [(name, [p[1] for p in group], [p[2] for p in group]) for name, group in groups]


def judge_agreement(store: Store, project_id: int, accept_at: float) -> list[dict[str, Any]]:
    """Cohen's kappa of each judge's verdict against the human decision, beside the
    kappa of human vs human: one row per rater pair, rubric and label.

    A judge's verdict on a rubric is "accepted" when its score on that rubric is at
    least `accept_at`; it is compared with the latest human decision in force.
    Rubrics other than the overall score are listed for all labels together; the
    overall score and human vs human also per label.
    """
    rows: list[dict[str, Any]] = []
    decided = _human_rows(store, project_id, 1)  # one read serves both comparisons
    latest = _latest_human(decided)
    by_annotator: dict[int, dict[str, str]] = defaultdict(dict)
    for candidate_id, annotator, decision, _label in decided:
        by_annotator[candidate_id][annotator] = decision
    humans = []
    for candidate_id, people in by_annotator.items():
        if len(people) >= 2:
            first, second = list(people.values())[:2]
            humans.append((latest[candidate_id][1], first, second))
    for label, first, second in _by_label(humans):
        rows.append(
            {
                "raters": "human vs human",
                "rubric": "decision",
                "label": label,
                **_summary(first, second),
            }
        )
    scores = _judge_scores(store, project_id)
    for model in sorted({row.model for row in scores}):
        mine = [row for row in scores if row.model == model and row.candidate_id in latest]
        for rubric in RUBRICS:
            pairs = [
                (
                    latest[row.candidate_id][1],
                    verdict(row._mapping[rubric], accept_at),
                    latest[row.candidate_id][0],
                )
                for row in mine
                if row._mapping[rubric] is not None
            ]
            groups = _by_label(pairs) if rubric == "overall" else _by_label(pairs)[:1]
            for label, judged, decided in groups:
                rows.append(
                    {
                        "raters": f"judge {model} vs human",
                        "rubric": rubric,
                        "label": label,
                        **_summary(judged, decided),
                    }
                )
    return rows


def judge_vs_human(store: Store, project_id: int, model: str, accept_at: float) -> dict[str, Any]:
    """The judge `model`'s overall verdicts against human decisions, all labels."""
    for row in judge_agreement(store, project_id, accept_at):
        if row["raters"] == f"judge {model} vs human" and row["rubric"] == "overall":
            return row
    return _summary([], [])


def alpha(ratings: dict[int, dict[str, str]]) -> float | None:
    """Krippendorff's alpha (nominal) of {unit: {rater: value}}: any number of raters,
    each rating any subset of the units, with any set of values (decisions here). None
    when undefined: no unit rated twice, or a single value used throughout."""
    raters = sorted({rater for by_rater in ratings.values() for rater in by_rater})
    pairable = [unit for unit in ratings.values() if len(unit) >= 2]
    used = {decision for unit in pairable for decision in unit.values()}
    if not pairable or len(used) < 2:
        return None
    code = {value: index for index, value in enumerate(sorted(used))}
    data = np.full((len(raters), len(pairable)), np.nan)
    row_of = {rater: index for index, rater in enumerate(raters)}
    for column, unit in enumerate(pairable):
        for rater, decision in unit.items():
            data[row_of[rater], column] = code[decision]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def reliability(store: Store, project_id: int, accept_at: float) -> dict[str, Any]:
    """Krippendorff's alpha of the human annotators, and of humans and judges together
    (each judge a rater whose decision is its overall verdict); with the counts."""
    people = _ratings(store, project_id, 1)
    everyone: dict[int, dict[str, str]] = {unit: dict(r) for unit, r in people.items()}
    for row in _judge_scores(store, project_id):
        everyone.setdefault(row.candidate_id, {})[f"judge {row.model}"] = verdict(
            row.overall, accept_at
        )
    return {
        "humans": alpha(people),
        "annotators": len({name for r in people.values() for name in r}),
        "units": sum(len(r) >= 2 for r in people.values()),
        "with_judges": alpha(everyone),
    }
