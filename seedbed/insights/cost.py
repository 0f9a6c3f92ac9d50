"""What a good item cost, by method and by job, and how much diversity the money bought.

Tokens and dollars come from the jobs' requests (job_requests); the items a job stored carry
its id. For each method and each job: money and tokens per accepted item, the acceptance rate
among decided items, and the diversity its accepted items add to the project's accepted set:
APS and Vendi of the accepted set without them ("before") and with them ("after"), and the
Vendi gained per dollar and per million tokens. Items made outside a job (imports, previews)
have no recorded cost and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import case, func, select

from seedbed.insights.metrics import average_pairwise_similarity, vendi_score
from seedbed.insights.selection import SelectionRows
from seedbed.models import CandidateStatus
from seedbed.store import schema as t
from seedbed.store.core import Store


@dataclass(frozen=True)
class JobSpend:
    job_id: int
    method: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None  # None when any of its tokens has no price


@dataclass(frozen=True)
class CostRow:
    """One method or one job: what it spent, what it yielded, what it added."""

    name: str
    jobs: int
    items: int
    accepted: int
    rejected: int
    tokens: int
    cost_usd: float | None
    aps_before: float | None
    aps_after: float | None
    vendi_before: float | None
    vendi_after: float | None

    @property
    def acceptance_rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None

    @property
    def tokens_per_accepted(self) -> float | None:
        return self.tokens / self.accepted if self.accepted else None

    @property
    def cost_per_accepted(self) -> float | None:
        if not self.accepted or self.cost_usd is None:
            return None
        return self.cost_usd / self.accepted

    @property
    def vendi_gain(self) -> float | None:
        if self.vendi_before is None or self.vendi_after is None:
            return None
        return self.vendi_after - self.vendi_before

    @property
    def vendi_gain_per_usd(self) -> float | None:
        gain = self.vendi_gain
        return gain / self.cost_usd if gain is not None and self.cost_usd else None

    @property
    def vendi_gain_per_mtok(self) -> float | None:
        gain = self.vendi_gain
        return gain / self.tokens * 1e6 if gain is not None and self.tokens else None


def job_spend(store: Store, project_id: int) -> list[JobSpend]:
    """Tokens and dollars of every job of a project, from its requests."""
    r, j = t.job_requests.c, t.jobs.c
    unpriced = func.sum(case((r.cost_usd.is_(None) & (r.prompt_tokens > 0), 1), else_=0))
    query = (
        select(
            j.id,
            j.method,
            func.coalesce(func.sum(r.prompt_tokens), 0),
            func.coalesce(func.sum(r.completion_tokens), 0),
            func.coalesce(func.sum(r.cost_usd), 0.0),
            func.coalesce(unpriced, 0),
        )
        .select_from(t.jobs.outerjoin(t.job_requests, r.job_id == j.id))
        .where(j.project_id == project_id)
        .group_by(j.id, j.method)
        .order_by(j.id)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        JobSpend(int(job), method, int(prompt), int(completion), None if missing else float(cost))
        for job, method, prompt, completion, cost, missing in rows
    ]


def cost_table(
    spend: Sequence[JobSpend], rows: SelectionRows, vectors: np.ndarray, by: str = "method"
) -> list[CostRow]:
    """One row per method (`by="method"`) or per job (`by="job"`), over all of `rows`.

    `rows` are the project's candidates of every status, with their embeddings `vectors`.
    """
    statuses = np.array(rows.statuses, dtype=object)
    jobs = np.array([-1 if j is None else j for j in rows.job_ids], dtype=np.int64)
    accepted = statuses == CandidateStatus.ACCEPTED
    accepted_vectors = np.asarray(vectors)[accepted]
    groups: dict[str, list[JobSpend]] = {}
    for job in spend:
        groups.setdefault(job.method if by == "method" else f"job {job.job_id}", []).append(job)
    table = []
    for name, members in groups.items():
        mine = np.isin(jobs, [job.job_id for job in members])
        before = accepted_vectors[~mine[accepted]]
        costs = [job.cost_usd for job in members]
        table.append(
            CostRow(
                name=name,
                jobs=len(members),
                items=int(mine.sum()),
                accepted=int((mine & accepted).sum()),
                rejected=int((mine & (statuses == CandidateStatus.REJECTED)).sum()),
                tokens=sum(job.prompt_tokens + job.completion_tokens for job in members),
                cost_usd=None if None in costs else float(sum(costs)),
                aps_before=_measure(average_pairwise_similarity, before),
                aps_after=_measure(average_pairwise_similarity, accepted_vectors),
                vendi_before=_measure(vendi_score, before),
                vendi_after=_measure(vendi_score, accepted_vectors),
            )
        )
    return table


def _measure(function: Callable[[np.ndarray], float | None], vectors: np.ndarray) -> float | None:
    return function(vectors) if len(vectors) else None
