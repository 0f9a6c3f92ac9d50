"""Workers: `python -m seedbed worker` runs queued generation jobs, on any machine.

A worker shares the database (DATABASE_URL) with the app. It takes the oldest
job queued for workers, or one whose run died, and runs it like any other run
(seedbed/jobs/runner.py): every request checkpointed, a heartbeat every second. A job
runs on one worker at a time, so its novelty pool and its count of candidates
stay in one process; more workers run more jobs at once.

Claims are atomic: on PostgreSQL the job's row is locked with SELECT ... FOR
UPDATE SKIP LOCKED, so workers never wait on each other; on SQLite the claim is
one conditional UPDATE. Either way it is a compare-and-swap on the owner and
heartbeat the worker saw, so of two workers that saw the same free job one wins.
A worker whose process dies stops its heartbeat; another worker takes the job
over (at once on the same host, after jobs.STALE_AFTER elsewhere) and sends only
what was not answered. Workers use the API key of their own environment
(OPENAI_API_KEY), never one from the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import and_, select, update

from seedbed.errors import BackendError, JobError
from seedbed.jobs import runner
from seedbed.jobs import state as jobs
from seedbed.jobs.senders import BackendFactory
from seedbed.jobs.state import LIVE, Job, JobSettings, JobStatus
from seedbed.llm import make_backend
from seedbed.models import Project
from seedbed.store import schema as t
from seedbed.store.core import Store

POLL_SECONDS = 2.0
log = logging.getLogger(__name__)


def queue_job(store: Store, project: Project, settings: JobSettings) -> int:
    """Store a job for workers to run (checked like any job); its id."""
    return runner.start_job(store, project, settings.model_copy(update={"workers": True}))


def claim_next_job(store: Store, owner: str, skip: set[int] | None = None) -> Job | None:
    """Claim the oldest job for workers that nobody runs; None when there is none.

    `skip` lists job ids this worker cannot run (see Worker). A free job whose
    cancel was requested is ended as cancelled instead of run.
    """
    for job in jobs.live_jobs(store):
        if not job.settings.workers or job.id in (skip or set()):
            continue
        if job.owner is not None and not runner.is_interrupted(job):
            continue  # running on a live worker
        if job.cancel_requested:
            _swap(store, job, status=JobStatus.CANCELLED, finished_at=datetime.now(UTC))
            continue
        values = {"status": JobStatus.RUNNING, "owner": owner, "message": None}
        if _swap(store, job, heartbeat_at=datetime.now(UTC), finished_at=None, **values):
            return jobs.get_job(store, job.id)
    return None


def _swap(store: Store, job: Job, **values: object) -> bool:
    """Change the job only if its status, owner and heartbeat are still as `job` has them."""
    c = t.jobs.c
    seen = and_(
        c.id == job.id,
        c.status == job.status,
        c.owner.is_(None) if job.owner is None else c.owner == job.owner,
        c.heartbeat_at.is_(None)
        if job.heartbeat_at is None
        else c.heartbeat_at == job.heartbeat_at,
    )
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Lock the row, or skip it at once when another worker holds the lock.
            locked = select(c.id).where(seen).with_for_update(skip_locked=True)
            if conn.execute(locked).first() is None:
                return False
        return bool(conn.execute(update(t.jobs).where(seen).values(values)).rowcount)


def requeue(store: Store, job_id: int) -> bool:
    """Give a stopped, failed, cancelled or interrupted job back to the workers; False if not."""
    job = jobs.get_job(store, job_id)
    if job is None or job.status == JobStatus.DONE:
        return False
    if job.status in LIVE and job.owner is not None and not runner.is_interrupted(job):
        return False  # a live worker runs it
    values = {"status": JobStatus.QUEUED, "owner": None, "heartbeat_at": None}
    values |= {"message": None, "finished_at": None, "cancel_requested": False}
    return _swap(store, job, **values)


def cancel(store: Store, job_id: int) -> None:
    """Cancel a job: at once if no worker has it yet, else through its run's heartbeat."""
    job = jobs.get_job(store, job_id)
    if job is None:
        return
    waiting = job.status == JobStatus.QUEUED and job.owner is None
    if not waiting or not _swap(
        store, job, status=JobStatus.CANCELLED, finished_at=datetime.now(UTC)
    ):
        jobs.request_cancel(store, job_id)


class Worker:
    """Claims and runs jobs one at a time until stopped; reports what it does through `say`."""

    def __init__(
        self,
        store: Store,
        *,
        poll_seconds: float = POLL_SECONDS,
        say: Callable[[str], None] = log.info,
        backend_factory: BackendFactory = make_backend,
    ) -> None:
        self.store, self.poll_seconds, self.say = store, poll_seconds, say
        self.backend_factory = backend_factory
        self.stop = threading.Event()
        self.cannot_run: set[int] = set()

    def run(self, *, exit_when_idle: bool = False, max_jobs: int | None = None) -> int:
        """Run jobs until stopped (or idle, or `max_jobs` run); how many it ran."""
        count = 0
        while not self.stop.is_set():
            self._check_backends()
            owner = runner.new_owner()
            job = claim_next_job(self.store, owner, self.cannot_run)
            if job is None:
                if exit_when_idle:
                    break
                self.stop.wait(self.poll_seconds)
                continue
            self.run_claimed(job, owner)
            count += 1
            if max_jobs is not None and count >= max_jobs:
                break
        return count

    def run_claimed(self, job: Job, owner: str) -> None:
        """Run a job this worker claimed; a stopped worker hands it back to the queue."""
        self.say(f"job {job.id} claimed by {owner}: {job.method}, {job.settings.n} candidates")
        try:
            ended = runner.run_claimed(self.store, job, owner, backend_factory=self.backend_factory)
        except JobError as error:
            self.say(f"job {job.id} failed: {error}")
        except Exception as error:  # recorded on the job; the worker goes on with others
            log.exception("job %s failed", job.id)
            self.say(f"job {job.id} failed: {error!r}")
        except BaseException:
            self._hand_back(job.id, owner)
            raise
        else:
            note = f" ({ended.message})" if ended.message else ""
            self.say(f"job {job.id} {ended.status.value}{note}")

    def _hand_back(self, job_id: int, owner: str) -> None:
        job = jobs.get_job(self.store, job_id)
        if job is not None and job.owner == owner and job.status != JobStatus.DONE:
            requeue(self.store, job_id)
            self.say(f"job {job_id} handed back to the queue")

    def _check_backends(self) -> None:
        """Leave jobs this worker cannot run (no key here) to others, and say why on the job."""
        for job in jobs.live_jobs(self.store):
            if not job.settings.workers or job.owner is not None or job.id in self.cannot_run:
                continue
            problem = self._backend_problem(job.settings)
            if problem is None:
                continue
            self.cannot_run.add(job.id)
            message = f"Worker {runner.new_owner().rsplit('/', 1)[0]} cannot run it: {problem}"
            self.say(f"job {job.id} skipped: {problem}")
            _swap(self.store, job, message=message)

    def _backend_problem(self, settings: JobSettings) -> str | None:
        for config in (settings.backend, *settings.stage_backends.values()):
            try:
                self.backend_factory(config, None)
            except BackendError as error:
                return str(error)
        return None
