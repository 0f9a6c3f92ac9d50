"""Jobs on a Ray cluster: a detached driver per job, its requests fanned out across the nodes.

`submit` hands a job to the cluster and returns at once. The job's driver is a
detached, named Ray actor (`seedbed-job-<id>`). We chose it over Ray's Jobs API:
- the Jobs API needs each cluster's dashboard (its job server) and a shell
  entrypoint, and the dashboard is what small clusters turn off; an actor needs
  nothing beyond `ray start`;
- a detached actor outlives the process that created it (the app's server can
  restart), and its name is the lock that keeps a job to one driver: creating a
  second actor of the same name fails, and a dead driver's name is free again,
  so a resume knows from Ray itself, not from a heartbeat, that nobody drives it.

The driver runs the job with the same runner and engine as the app
(seedbed/jobs/runner.py, engine.py): it reads, checks and stores every reply in
the shared database (DATABASE_URL), one request at a time, so the novelty pool
and the counts stay exact. Only the sending moves to the nodes
(seedbed/jobs/ray_senders.py). Every request is checkpointed as for a local job,
so a killed driver's job resumes from the store (`submit` again) and no request
is answered twice into it. Cancel and progress go through the store as for any
job: the driver's heartbeat sees the cancel.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from seedbed.cluster import NAMESPACE, connect
from seedbed.errors import JobError
from seedbed.jobs import runner
from seedbed.jobs import state as jobs
from seedbed.jobs.ray_senders import ray_senders
from seedbed.jobs.state import LIVE, JobStatus
from seedbed.store.core import Store


def driver_name(job_id: int) -> str:
    return f"seedbed-job-{job_id}"


class JobDriver:
    """Drives one job on the cluster (made a detached Ray actor by `submit`), then exits."""

    def run(self, url: str, job_id: int) -> str:
        """Run the job to its end from the store at `url`; its status (or why it could not)."""
        import ray

        store = Store(url)
        try:
            return runner.run_job(
                store, job_id, open_senders=ray_senders(job_id), queued_only=True
            ).status.value
        except JobError as error:
            return str(error)
        finally:
            store.engine.dispose()
            ray.actor.exit_actor()  # frees the name: a later resume may drive the job again


def submit(store: Store, job_id: int, address: str) -> None:
    """Hand job `job_id` to a new driver on the Ray cluster at `address`; returns at once.

    Raises JobError when the job is done, uses the Batch API (one provider batch
    gains nothing from more nodes: run it in-process), or is being run already
    (by a driver on the cluster, or by a live process elsewhere).
    """
    job = jobs.get_job(store, job_id)
    if job is None:
        raise JobError(f"There is no job {job_id}.")
    if job.status == JobStatus.DONE:
        raise JobError(f"Job {job_id} is already done.")
    if job.settings.uses_batches():
        raise JobError("A Batch API job is one provider batch: run it here, not on the cluster.")
    if job.status in LIVE and not job.settings.cluster and not runner.is_interrupted(job):
        raise JobError(f"Job {job_id} is running in another process; cancel it there first.")
    ray = connect(address)
    try:  # the name is the lock: no two drivers for one job
        driver = (
            ray.remote(JobDriver)
            .options(
                name=driver_name(job_id),
                namespace=NAMESPACE,
                lifetime="detached",
                num_cpus=0,
                max_restarts=0,  # a lost driver is resumed by a person, from the store
            )
            .remote()
        )
    except ValueError:
        raise JobError(f"Job {job_id} is already running on the Ray cluster.") from None
    if not jobs.queue_job(store, job_id):
        ray.kill(driver)
        raise JobError(f"Job {job_id} is already done.")
    driver.run.remote(_shared_url(store.url), job_id)


def driver_running(job_id: int, address: str) -> bool:
    """True while the cluster at `address` holds a driver for job `job_id`."""
    ray = connect(address)
    try:
        ray.get_actor(driver_name(job_id), namespace=NAMESPACE)
    except ValueError:
        return False
    return True


def _shared_url(url: str) -> str:
    """The database URL as other processes here read it (a relative SQLite path made absolute)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return parsed.render_as_string(hide_password=False)
