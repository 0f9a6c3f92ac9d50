"""Generation jobs in the store: what was asked, their state, and who runs them.

A job row holds what was asked (JobSettings: method, n, models by stage, budget;
never an API key) and its state. The process that runs a job (the app, the
command line, or a driver on the Ray cluster: seedbed/jobs/ray_runner.py) claims
it with an owner id and writes a heartbeat, which is also how it hears of a
cancel; a job whose heartbeat stopped is interrupted and may be resumed. Its
requests are in seedbed/jobs/requests.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Row

from seedbed.llm import BackendConfig
from seedbed.methods.base import Request
from seedbed.models import Strict, Usage
from seedbed.store import schema as t
from seedbed.store.core import Store, as_utc

# A live job writes a heartbeat every couple of seconds; silence this long means
# its process is gone and the job may be resumed elsewhere.
STALE_AFTER = timedelta(seconds=15)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"  # by the budget cap
    CANCELLED = "cancelled"
    FAILED = "failed"


LIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class RequestStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # not needed: the job reached its target first


class JobSettings(Strict):
    """What a job was asked to do. Model names and base URLs only: keys are never stored."""

    method: str = Field(min_length=1)
    n: int = Field(ge=1, le=100_000)
    seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict)
    backend: BackendConfig = Field(default_factory=BackendConfig)
    # A different backend (usually just another model) for some stages of the method.
    # Sampling settings by stage are method options (options["params"]).
    stage_backends: dict[str, BackendConfig] = Field(default_factory=dict)
    concurrency: int = Field(default=8, ge=1, le=64)
    budget_tokens: int | None = Field(default=None, ge=1)
    budget_usd: float | None = Field(default=None, gt=0)
    max_rounds: int = Field(default=5, ge=1, le=50)
    preview: bool = False
    # Run by a driver on the Ray cluster (seedbed/jobs/ray_runner.py), not by the process
    # that created the job; its requests go out from the nodes, with their own OPENAI_API_KEY.
    cluster: bool = False
    # Jobs of at least this many candidates go through the provider's Batch API
    # (seedbed/jobs/batches.py; half the price at OpenAI); None: never.
    batch_from: int | None = Field(default=None, ge=1)
    # Flag candidates whose meaning repeats a pool text (embedding cosine; loads the
    # sentence model). The MinHash duplicate check always runs.
    semantic_duplicates: bool = False

    def uses_batches(self) -> bool:
        return self.batch_from is not None and self.n >= self.batch_from

    def backend_for(self, stage: str) -> BackendConfig:
        return self.stage_backends.get(stage, self.backend)


class Job(Strict):
    id: int
    project_id: int
    method: str
    status: JobStatus
    settings: JobSettings
    message: str | None = None  # why it ended as it did: failure, budget cap, shortfall
    rounds: int = 0
    cancel_requested: bool = False
    owner: str | None = None
    elapsed_seconds: float = 0.0
    created_at: datetime
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None

    def last_seen(self) -> datetime:
        return self.heartbeat_at or self.created_at

    def is_interrupted(self, now: datetime | None = None) -> bool:
        """Queued or running, but nobody has worked on it for a while: resumable."""
        now = now or datetime.now(UTC)
        return self.status in LIVE and now - self.last_seen() > STALE_AFTER


class RequestRecord(Strict):
    id: int
    job_id: int
    round: int
    request: Request
    status: RequestStatus
    error: str | None = None
    note: str = ""
    model: str = ""
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    attempts: int = 0


class JobProgress(Strict):
    """The numbers a progress bar shows."""

    n: int
    stored: int = 0  # candidates stored
    filtered: int = 0  # stored candidates with a failed check
    requests: int = 0
    done: int = 0
    failed: int = 0
    pending: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_tokens: int = 0  # tokens of models with no price in the table
    elapsed_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# -- jobs ---------------------------------------------------------------------------


def create_job(store: Store, project_id: int, settings: JobSettings) -> int:
    """A queued job; nothing runs until a runner claims it."""
    values = {
        "project_id": project_id,
        "method": settings.method,
        "status": JobStatus.QUEUED,
        "settings": settings.model_dump(mode="json"),
        "created_at": datetime.now(UTC),
    }
    with store.engine.begin() as conn:
        return int(conn.execute(insert(t.jobs).values(values)).inserted_primary_key[0])


def get_job(store: Store, job_id: int) -> Job | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).first()
    return _job(row) if row else None


def list_jobs(store: Store, project_id: int | None = None, limit: int = 20) -> list[Job]:
    """The newest jobs first, of one project or of all."""
    query = select(t.jobs).order_by(t.jobs.c.id.desc()).limit(limit)
    if project_id is not None:
        query = query.where(t.jobs.c.project_id == project_id)
    with store.engine.connect() as conn:
        return [_job(row) for row in conn.execute(query).all()]


def claim_job(
    store: Store, job_id: int, owner: str, take_over: bool = False, queued_only: bool = False
) -> Job | None:
    """Mark the job running for `owner`, unless it is done or another live process runs it.

    `take_over` claims a job whose owner is known to be dead even though its
    heartbeat is recent; `queued_only` claims it only while queued for this run
    (see `queue_job`: a cancel before the claim wins). Returns the claimed job, or
    None when it could not be claimed.
    """
    now = datetime.now(UTC)
    c = t.jobs.c
    nobody_runs_it = or_(
        c.status.not_in(list(LIVE)),
        c.owner.is_(None),
        c.owner == owner,
        func.coalesce(c.heartbeat_at, c.created_at) < now - STALE_AFTER,
    )
    claimable = and_(c.id == job_id, c.status != JobStatus.DONE)
    if not take_over:
        claimable = and_(claimable, nobody_runs_it)
    if queued_only:
        claimable = and_(claimable, c.status == JobStatus.QUEUED, c.owner.is_(None))
    values = {"status": JobStatus.RUNNING, "owner": owner, "heartbeat_at": now}
    values |= {"message": None, "finished_at": None, "cancel_requested": False}
    with store.engine.begin() as conn:
        if not conn.execute(update(t.jobs).where(claimable).values(values)).rowcount:
            return None
    return get_job(store, job_id)


def heartbeat(store: Store, job_id: int, owner: str, elapsed: float) -> tuple[bool, bool]:
    """Record that `owner` is alive; returns (still the owner, cancel requested)."""
    c = t.jobs.c
    with store.engine.begin() as conn:
        conn.execute(
            update(t.jobs)
            .where(c.id == job_id, c.owner == owner)
            .values(heartbeat_at=datetime.now(UTC), elapsed_seconds=elapsed)
        )
        row = conn.execute(select(c.owner, c.cancel_requested).where(c.id == job_id)).one()
    return row.owner == owner, bool(row.cancel_requested)


def finish_job(
    store: Store, job_id: int, owner: str, status: JobStatus, elapsed: float, message: str | None
) -> None:
    """End the run `owner` holds; unsent requests of a finished job are marked skipped."""
    now = datetime.now(UTC)
    values = {"status": status, "message": message, "elapsed_seconds": elapsed}
    values["finished_at"] = now
    with store.engine.begin() as conn:
        conn.execute(
            update(t.jobs)
            .where(t.jobs.c.id == job_id, t.jobs.c.owner == owner)
            .values(heartbeat_at=now, **values)
        )
        if status == JobStatus.DONE:
            conn.execute(
                update(t.job_requests)
                .where(
                    t.job_requests.c.job_id == job_id,
                    t.job_requests.c.status == RequestStatus.PENDING,
                )
                .values(status=RequestStatus.SKIPPED, note="not sent: the job had its candidates")
            )


def queue_job(store: Store, job_id: int) -> bool:
    """Queue a job that is not done for a run elsewhere (a cluster driver); False if done.

    The caller knows no process runs it. Its heartbeat starts now, so the job
    counts as interrupted only when no run has claimed it for STALE_AFTER.
    """
    values = {"status": JobStatus.QUEUED, "owner": None, "heartbeat_at": datetime.now(UTC)}
    values |= {"message": None, "finished_at": None, "cancel_requested": False}
    c = t.jobs.c
    with store.engine.begin() as conn:
        changed = conn.execute(
            update(t.jobs).where(c.id == job_id, c.status != JobStatus.DONE).values(values)
        )
    return bool(changed.rowcount)


def cancel_job(store: Store, job_id: int) -> None:
    """Cancel a job: at once while queued and unclaimed, else through its run's heartbeat."""
    c = t.jobs.c
    waiting = and_(c.id == job_id, c.status == JobStatus.QUEUED, c.owner.is_(None))
    ended = {"status": JobStatus.CANCELLED, "finished_at": datetime.now(UTC)}
    ended["message"] = "Cancelled before it started; a resume goes on from here."
    with store.engine.begin() as conn:
        if not conn.execute(update(t.jobs).where(waiting).values(ended)).rowcount:
            conn.execute(update(t.jobs).where(c.id == job_id).values(cancel_requested=True))


def live_jobs(store: Store) -> list[Job]:
    """Every queued or running job, of any project (some may have lost their process)."""
    query = select(t.jobs).where(t.jobs.c.status.in_(list(LIVE))).order_by(t.jobs.c.id)
    with store.engine.connect() as conn:
        return [_job(row) for row in conn.execute(query).all()]


def _job(row: Row) -> Job:
    data = dict(row._mapping)
    for name in ("created_at", "heartbeat_at", "finished_at"):
        data[name] = as_utc(data[name])
    return Job(**data)
