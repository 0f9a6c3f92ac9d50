"""Generation jobs: start one, run or resume it here or in the background, find lost ones.

The same calls serve the app (a background thread per running job, see
`run_in_background`), the command line (`run_job` in the foreground) and a
driver on a Ray cluster (seedbed/jobs/ray_runner.py, with senders on the nodes).
A job belongs to one process at a time: the runner claims it in the store with
an owner id and keeps a heartbeat (seedbed/jobs/engine.py); a job whose owner
died is "interrupted" and may be resumed by anyone.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from seedbed.errors import JobError, user_input
from seedbed.jobs import state as jobs
from seedbed.jobs.context import method_context, method_named, round_rng
from seedbed.jobs.engine import JobEngine, ProgressCallback, RequestTextCallback
from seedbed.jobs.senders import BackendFactory, OpenSenders, in_process
from seedbed.jobs.state import LIVE, Job, JobProgress, JobSettings, JobStatus
from seedbed.llm import make_backend
from seedbed.llm.base import run_sync
from seedbed.methods import METHODS
from seedbed.methods.base import Request
from seedbed.models import Project
from seedbed.store.core import Store

__all__ = [
    "JobError",
    "is_interrupted",
    "preview_requests",
    "resume_interrupted",
    "run_in_background",
    "run_job",
    "running_here",
    "start_job",
    "unavailable_methods",
]

log = logging.getLogger(__name__)

# Jobs this process is running now (any thread), and the background threads it started.
_live: set[int] = set()
_threads: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def preview_requests(
    store: Store, project: Project, settings: JobSettings
) -> tuple[list[Request], str | None]:
    """The first round a job with `settings` would plan, or ([], why it cannot run)."""
    method = method_named(settings.method)
    context = method_context(store, project, settings.options)
    with user_input("Method options"):
        reason = method.unavailable(context)
        if reason:
            return [], reason
        return method.plan(context, settings.n, round_rng(settings.seed, 1)), None


def unavailable_methods(store: Store, project: Project) -> dict[str, str]:
    """Why each method that cannot run on `project` now (with default options) cannot."""
    context = method_context(store, project, {})
    reasons = {name: method.unavailable(context) for name, method in METHODS.items()}
    return {name: reason for name, reason in reasons.items() if reason}


def start_job(store: Store, project: Project, settings: JobSettings) -> int:
    """Store a new, queued job after checking its method can run on `project`; its id."""
    method = method_named(settings.method)
    reason = method.unavailable(method_context(store, project, settings.options))
    if reason:
        raise JobError(reason)
    return jobs.create_job(store, project.id, settings)


def run_job(
    store: Store,
    job_id: int,
    api_key: str | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    on_text: RequestTextCallback | None = None,
    backend_factory: BackendFactory = make_backend,
    open_senders: OpenSenders | None = None,
    queued_only: bool = False,
) -> Job:
    """Run or resume job `job_id` in this thread until it ends; the job as it ended.

    Requests go out in this process with `api_key` (used for this run only, never
    stored) unless `open_senders` places the senders elsewhere (a Ray actor pool).
    `on_text` gets each reply's pieces as they are written (a preview shows them).
    `queued_only` runs the job only if it is still queued for this run (a cluster
    driver: a cancel before it starts wins). Raises JobError when the job cannot
    run (unknown, done, cancelled while queued, or running in another live process).
    """
    job = jobs.get_job(store, job_id)
    if job is None:
        raise JobError(f"There is no job {job_id}.")
    if job.status == JobStatus.DONE:
        raise JobError(f"Job {job_id} is already done.")
    owner = _new_owner()
    with _lock:
        if job_id in _live:
            raise JobError(f"Job {job_id} is already running in this process.")
        claimed = jobs.claim_job(
            store, job_id, owner, take_over=_owner_gone(job), queued_only=queued_only
        )
        if claimed is None and queued_only:
            raise JobError(
                f"Job {job_id} is no longer queued (cancelled, or taken by another run)."
            )
        if claimed is None:
            raise JobError(f"Job {job_id} is running in another process; cancel it there first.")
        _live.add(job_id)
    try:
        engine = JobEngine(
            store,
            claimed,
            owner,
            open_senders=open_senders or in_process(backend_factory, api_key),
            on_progress=on_progress,
            on_text=on_text,
        )
        end = run_sync(engine.run())
        if end is not None:  # None: another process took the job over
            engine.finish(*_judged(end, engine.progress))
    except BaseException as error:
        status, message = _why(error)
        jobs.finish_job(store, job_id, owner, status, claimed.elapsed_seconds, message)
        raise
    finally:
        with _lock:
            _live.discard(job_id)
    return jobs.get_job(store, job_id) or claimed


def _judged(
    end: tuple[JobStatus, str | None], progress: JobProgress
) -> tuple[JobStatus, str | None]:
    """A job that ran out of things to ask is done, unless every request it sent failed."""
    status, message = end
    if status == JobStatus.DONE and progress.failed and not progress.done:
        rounds = f" {message}" if message else ""  # which rounds yielded nothing
        return JobStatus.FAILED, (
            f"Every request failed ({progress.failed}), so nothing was generated.{rounds} Fix "
            "the cause, then resume with --retry-failed (or 'Resume and retry failed requests')."
        )
    return end


def _new_owner() -> str:
    """A run's owner id: host/pid/random, so a dead process on this host can be recognised."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def _why(error: BaseException) -> tuple[JobStatus, str]:
    """How a run that raised ends: an interruption (Ctrl-C, page rerun) cancels; an error fails."""
    if not isinstance(error, Exception):
        return JobStatus.CANCELLED, "Interrupted; a resume goes on from here."
    if isinstance(error, JobError):
        return JobStatus.FAILED, str(error)
    return JobStatus.FAILED, f"Unexpected error: {error!r}"


def running_here(job_id: int) -> bool:
    """True while this process runs the job (in any thread)."""
    with _lock:
        return job_id in _live or (job_id in _threads and _threads[job_id].is_alive())


def run_in_background(store: Store, job_id: int, api_key: str | None = None) -> bool:
    """Run the job on a daemon thread of this process; False when it already runs here."""
    with _lock:
        for ended in [key for key, thread in _threads.items() if not thread.is_alive()]:
            del _threads[ended]
        if job_id in _live or job_id in _threads:
            return False
        thread = threading.Thread(
            target=_run_logged, args=(store, job_id, api_key), name=f"job-{job_id}", daemon=True
        )
        _threads[job_id] = thread
    thread.start()
    return True


def _run_logged(store: Store, job_id: int, api_key: str | None) -> None:
    try:
        run_job(store, job_id, api_key)
    except JobError as error:
        log.warning("job %s: %s", job_id, error)
    except Exception:
        log.exception("job %s failed", job_id)  # recorded on the job too


def is_interrupted(job: Job) -> bool:
    """Queued or running, yet no process works on it: it died or stopped answering."""
    if job.status not in LIVE or running_here(job.id):
        return False
    return job.is_interrupted() or _owner_gone(job)


def resume_interrupted(store: Store, api_key: str | None = None) -> list[int]:
    """Resume every interrupted in-process job in the background; the ids.

    A cluster job is left for a resume to the cluster (the job page offers it).
    """
    return [
        job.id
        for job in jobs.live_jobs(store)
        if not job.settings.cluster
        and is_interrupted(job)
        and run_in_background(store, job.id, api_key)
    ]


def _owner_gone(job: Job) -> bool:
    """True when the job's owner was a process on this machine that no longer runs it."""
    host, _, rest = (job.owner or "").partition("/")
    pid_text = rest.partition("/")[0]
    if job.status not in LIVE or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return job.id not in _live
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
