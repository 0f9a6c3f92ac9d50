"""Auto-decisions: an AI judge decides alone, and only where it has earned it.

A judge may decide pending candidates only when its overall verdicts agree with the
human decisions at a Cohen's kappa of at least the level the project sets, measured
on at least MIN_MEASURED candidates. Even then it decides only what it is sure of:
every judge that scored the candidate gives the same verdict, the judge's overall
score is at least SURE_MARGIN away from the accept threshold, nobody has the
candidate open, and an acceptance needs every automatic check passed. The rest stay
for people. Each auto-decision is a review row marked `automatic`, made by
"AI judge <model> (automatic)", whose reason states the kappa that allowed it; it
can be undone or overruled like any decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from seedbed.errors import AutoDecisionRefused, StoreError
from seedbed.models import PENDING
from seedbed.review import judge
from seedbed.review.agreement import effective, judge_vs_human
from seedbed.review.curation import claim, decide, release
from seedbed.store import schema as t
from seedbed.store.core import Store, select_candidates

MIN_MEASURED = 20  # human-decided candidates the judge must be measured on first
SURE_MARGIN = 1.0  # how far from the accept threshold an overall score must be
_OWNER = "auto-decisions"  # the claim an auto-decision holds while it decides


@dataclass
class AutoOutcome:
    """What one run of auto-decisions did, and the measure that allowed it."""

    accepted: int
    rejected: int
    left: int  # scored pending candidates left to people: unsure, disputed, failed checks
    kappa: float
    measured: int


def decided_alone(store: Store, project_id: int) -> set[int]:
    """Ids of the project's candidates whose decision in force a judge made alone."""
    r, c = t.reviews.c, t.candidates.c
    query = (
        select(r.candidate_id, r.automatic)
        .join(t.candidates, c.id == r.candidate_id)
        .where(c.project_id == project_id, effective())
        .order_by(r.id)
    )
    latest: dict[int, bool] = {}
    with store.engine.connect() as conn:
        for candidate_id, automatic in conn.execute(query):
            latest[candidate_id] = bool(automatic)
    return {candidate_id for candidate_id, alone in latest.items() if alone}


def judge_name(model: str) -> str:
    """The annotator name of a judge's automatic decisions."""
    return f"AI judge {model} (automatic)"


def permission(store: Store, project_id: int, model: str) -> tuple[float, int]:
    """The judge's kappa against humans and the candidates it was measured on, when it may
    decide alone; AutoDecisionRefused saying why not otherwise."""
    chosen = judge.settings(store, project_id)
    if chosen.auto_kappa is None:
        raise AutoDecisionRefused(
            "Auto-decisions are off for this project: set the kappa that allows them first."
        )
    measured = judge_vs_human(store, project_id, model, chosen.accept_at)
    kappa, items = measured["kappa"], measured["items"]
    if items < MIN_MEASURED or kappa is None:
        raise AutoDecisionRefused(
            f"The judge {model} has been measured against people on {items} candidates; "
            f"auto-decisions need at least {MIN_MEASURED}, with accepts and rejects among "
            "them. Have people decide more of the candidates it scored."
        )
    if kappa < chosen.auto_kappa:
        raise AutoDecisionRefused(
            f"The judge {model} agrees with people at a kappa of {kappa:.2f} on {items} "
            f"candidates, below the {chosen.auto_kappa:.2f} this project requires. "
            "People decide; the judge's scores only order the queue."
        )
    return kappa, items


def auto_decide(store: Store, project_id: int, model: str) -> AutoOutcome:
    """Let the judge `model` decide the pending candidates it is sure of (see the module)."""
    kappa, measured = permission(store, project_id, model)
    accept_at = judge.settings(store, project_id).accept_at
    c, j = t.candidates.c, t.judge_scores.c
    query = (
        select_candidates(project_id, PENDING)
        .with_only_columns(c.id)
        .join(t.judge_scores, j.candidate_id == c.id)
        .where(j.model == model, j.overall.is_not(None))
        .order_by(c.id)
    )
    with store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    results = judge.results_for(store, ids)
    counts = {"accepted": 0, "rejected": 0}
    left = 0
    for candidate_id in ids:
        mine = next(r for r in results[candidate_id] if r.model == model)
        score = mine.overall
        assert score is not None  # selected above
        decision = judge.verdict(score, accept_at)
        candidate = store.get_candidate(candidate_id)
        unsure = abs(score - accept_at) < SURE_MARGIN
        disputed = judge.disagree(results[candidate_id], accept_at)
        failed = candidate is None or (
            decision == "accepted" and any(not check.passed for check in candidate.checks)
        )
        if candidate is None or unsure or disputed or failed:
            left += 1
            continue
        if not claim(store, candidate_id, project_id, _OWNER, judge_name(model)):
            left += 1  # someone has it open: theirs to decide
            continue
        reason = (
            f"Decided alone by the AI judge {model}: overall {score:g}/5, accepted from "
            f"{accept_at:g}. Its kappa against people is {kappa:.2f} on {measured} candidates."
        )
        try:
            decide(store, candidate, decision, judge_name(model), reason=reason, automatic=True)
        except StoreError:  # decided meanwhile, or an empty field an acceptance cannot keep
            release(store, candidate_id, _OWNER)
            left += 1
            continue
        counts[decision] += 1
    return AutoOutcome(counts["accepted"], counts["rejected"], left, kappa, measured)
