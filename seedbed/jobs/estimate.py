"""What a job will cost before it runs: tokens, US dollars and time, measured on a preview.

The preview's requests say how many tokens its candidates took at each stage and how
long they took. A job of n candidates takes n / (the preview's candidates) times as
many, priced with the model each stage will use, with `concurrency` requests at once.
A local server (the embedded model, or a server on this machine or network) has no
price: its estimate is tokens and time only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import func, select

from seedbed.jobs import state as jobs
from seedbed.jobs.pricing import PriceTable
from seedbed.jobs.requests import job_progress
from seedbed.jobs.state import Job, JobProgress, JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.models import Usage
from seedbed.store import schema as t
from seedbed.store.core import Store

# How far back a preview of the same method is looked for.
_RECENT_JOBS = 50


@dataclass
class Estimate:
    candidates: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    usd: float | None = None  # None: a local server, or a model with no price
    unpriced_models: list[str] = field(default_factory=list)
    local: bool = False
    preview_job: int = 0
    preview_candidates: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def is_local(config: BackendConfig) -> bool:
    """The embedded model, or a server on this machine or a private network: no bill."""
    if config.kind == "embedded":
        return True
    host = urlsplit(config.base_url).hostname or ""
    if not host:
        return False  # no base URL: the OpenAI API
    if host == "localhost" or "." not in host or host.endswith((".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback


def latest_preview(store: Store, project_id: int, method: str) -> Job | None:
    """The newest finished preview of `method` in the project that stored candidates."""
    for job in jobs.list_jobs(store, project_id, limit=_RECENT_JOBS):
        if job.settings.preview and job.method == method and job.status == JobStatus.DONE:
            return job
    return None


def _usage_by_stage(store: Store, job_id: int) -> dict[str, Usage]:
    r = t.job_requests.c
    query = (
        select(r.stage, func.sum(r.prompt_tokens), func.sum(r.completion_tokens))
        .where(r.job_id == job_id)
        .group_by(r.stage)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return {
        stage: Usage(prompt_tokens=int(prompt or 0), completion_tokens=int(completion or 0))
        for stage, prompt, completion in rows
    }


def _parallel(settings: JobSettings, requests: float) -> float:
    """Requests in flight at once: one for the embedded model (it answers in turn)."""
    if settings.backend.kind == "embedded":
        return 1.0
    return max(1.0, min(float(settings.concurrency), requests))


def estimate_job(
    store: Store, preview: Job, settings: JobSettings, prices: PriceTable
) -> Estimate | None:
    """The job `settings` describe, scaled from `preview`; None when it stored nothing."""
    progress = job_progress(store, preview)
    if progress.stored == 0:
        return None
    scale = settings.n / progress.stored
    estimate = Estimate(
        candidates=settings.n,
        prompt_tokens=round(progress.prompt_tokens * scale),
        completion_tokens=round(progress.completion_tokens * scale),
        seconds=0.0,
        local=is_local(settings.backend),
        preview_job=preview.id,
        preview_candidates=progress.stored,
    )
    requests = progress.requests * scale
    estimate.seconds = (
        progress.elapsed_seconds
        * scale
        * _parallel(preview.settings, progress.requests)
        / _parallel(settings, requests)
    )
    if estimate.local:
        return estimate
    usd = 0.0
    for stage, usage in _usage_by_stage(store, preview.id).items():
        model = settings.backend_for(stage).model
        cost = prices.cost(model, usage)
        if cost is None:
            estimate.unpriced_models.append(model)
        else:
            usd += cost * scale
    estimate.usd = None if estimate.unpriced_models else usd
    return estimate


def projection(progress: JobProgress) -> str | None:
    """While a job runs: its total at the rate so far, or None before the first candidate."""
    if not 0 < progress.stored < progress.n:
        return None
    scale = progress.n / progress.stored
    left = progress.elapsed_seconds * (progress.n - progress.stored) / progress.stored
    minutes, seconds = divmod(int(left), 60)
    text = f"Projected total at this rate: {round(progress.tokens * scale):,} tokens"
    if progress.cost_usd and not progress.unpriced_tokens:
        text += f" · ${progress.cost_usd * scale:,.4f}"
    return text + f" · about {minutes}:{seconds:02d} left"
