"""Workers: queued jobs run on other processes, each job and request at most once.

The process tests start the fake OpenAI server and `python -m seedbed worker`
as real processes on one database (SQLite, and PostgreSQL when
SEEDBED_TEST_POSTGRES_URL is set), and SIGKILL one worker mid-job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from seedbed.files.presets import ensure_demo_projects
from seedbed.jobs import requests as job_requests
from seedbed.jobs import runner, worker
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.models import CandidateFilter, Project
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.conftest import ROOT
from tests.engine_fakes import TwoStage, answer, story_project
from tests.fakes import FakeBackend

NEWS = "News topic classification"


@pytest.fixture
def project(every_store: Store) -> Project:
    return story_project(every_store, "Workers")


def queued(store: Store, project: Project, n: int = 4, **changes: object) -> int:
    return worker.queue_job(store, project, JobSettings(method="two_stage", n=n, **changes))


def fake_factory(config: BackendConfig, key: str | None) -> FakeBackend:
    return FakeBackend(answer)


# -- claiming -------------------------------------------------------------------------


def test_of_two_workers_that_saw_the_same_free_job_one_gets_it(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    job_id = queued(every_store, project)
    seen = jobs.get_job(every_store, job_id)
    running = {"status": JobStatus.RUNNING, "heartbeat_at": datetime.now(UTC)}
    assert worker._swap(every_store, seen, owner="host/1/a", **running)
    assert not worker._swap(every_store, seen, owner="host/2/b", **running)
    assert jobs.get_job(every_store, job_id).owner == "host/1/a"


def test_racing_workers_claim_every_job_exactly_once(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    ids = [queued(every_store, project) for _ in range(12)]
    claimed: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def claim_all(mine: list[int], name: str) -> None:
        start.wait()
        while (job := worker.claim_next_job(every_store, f"otherhost/1/{name}")) is not None:
            mine.append(job.id)

    threads = [
        threading.Thread(target=claim_all, args=(mine, str(i))) for i, mine in enumerate(claimed)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(sum(claimed, [])) == ids
    owners = {job.owner for job in jobs.live_jobs(every_store)}
    assert len(owners) > 1  # really shared out, not one thread taking all


def test_a_job_whose_worker_stopped_beating_is_taken_over(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    job_id = queued(every_store, project)
    assert worker.claim_next_job(every_store, "far-away/123/a").id == job_id
    assert worker.claim_next_job(every_store, "here/1/b") is None  # its heartbeat is fresh

    stale = datetime.now(UTC) - jobs.STALE_AFTER - timedelta(seconds=1)
    with every_store.engine.begin() as conn:
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(heartbeat_at=stale))
    taken = worker.claim_next_job(every_store, "here/1/b")
    assert (taken.id, taken.owner) == (job_id, "here/1/b")
    # The first worker learns at its next heartbeat, and can store no answer any more.
    assert jobs.heartbeat(every_store, job_id, "far-away/123/a", 1.0) == (False, False)


def test_a_deposed_run_stores_no_answer(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    job_id = queued(every_store, project, n=2)
    job_requests.add_round(every_store, job_id, 1, method.plan(None, 2, runner.round_rng(0, 1)))
    [record] = job_requests.pending_requests(every_store, job_id)
    jobs.claim_job(every_store, job_id, "old/1/a")
    jobs.claim_job(every_store, job_id, "new/2/b", take_over=True)

    assert job_requests.complete_request(every_store, record, owner="old/1/a") is None
    assert job_requests.pending_requests(every_store, job_id) == [record]
    assert job_requests.complete_request(every_store, record, owner="new/2/b") == ([], [])
    assert job_requests.complete_request(every_store, record, owner="new/2/b") is None


def test_jobs_for_this_process_are_not_taken_by_workers(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    runner.start_job(every_store, project, JobSettings(method="two_stage", n=2))
    assert worker.claim_next_job(every_store, "w/1/a") is None


def test_a_job_waiting_for_workers_is_queued_not_interrupted_and_the_app_leaves_it(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    job_id = queued(every_store, project)
    old = datetime.now(UTC) - timedelta(hours=1)
    with every_store.engine.begin() as conn:
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(created_at=old))
    job = jobs.get_job(every_store, job_id)
    assert job.status == JobStatus.QUEUED and not runner.is_interrupted(job)
    assert runner.resume_interrupted(every_store) == []


# -- running --------------------------------------------------------------------------


def test_a_worker_runs_the_queued_jobs_and_stops_when_idle(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    ids = [queued(every_store, project, n=3, seed=seed) for seed in (1, 2)]
    said: list[str] = []
    runs = worker.Worker(every_store, say=said.append, backend_factory=fake_factory)
    assert runs.run(exit_when_idle=True) == 2
    for job_id in ids:
        job = jobs.get_job(every_store, job_id)
        assert job.status == JobStatus.DONE
        made = list(every_store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id])))
        assert len(made) == 3
    assert any(line.startswith(f"job {ids[0]} claimed by") for line in said)
    assert f"job {ids[1]} done" in said


def test_a_worker_without_a_key_leaves_the_job_and_says_why_on_it(
    every_store: Store, project: Project, method: TwoStage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    needs_key = BackendConfig(kind="openai", model="gpt-4o-mini")  # OpenAI itself: needs a key
    job_id = queued(every_store, project, backend=needs_key)
    said: list[str] = []
    assert worker.Worker(every_store, say=said.append).run(exit_when_idle=True) == 0
    job = jobs.get_job(every_store, job_id)
    assert job.status == JobStatus.QUEUED and job.owner is None
    assert "cannot run it: No OpenAI API key found" in job.message
    assert said == [f"job {job_id} skipped: {job.message.split(': ', 1)[1]}"]


def test_cancel_ends_a_waiting_job_at_once_and_requeue_gives_it_back(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    job_id = queued(every_store, project)
    worker.cancel(every_store, job_id)
    assert jobs.get_job(every_store, job_id).status == JobStatus.CANCELLED
    assert worker.claim_next_job(every_store, "w/1/a") is None

    assert worker.requeue(every_store, job_id)
    job = jobs.get_job(every_store, job_id)
    assert (job.status, job.owner, job.cancel_requested) == (JobStatus.QUEUED, None, False)
    assert worker.claim_next_job(every_store, "w/1/a").id == job_id
    assert not worker.requeue(every_store, job_id)  # a live worker runs it now


def test_a_cancel_requested_while_running_reaches_the_worker(
    every_store: Store, project: Project, method: TwoStage
) -> None:
    job_id = queued(every_store, project, n=50, concurrency=1)
    worker.cancel(every_store, job_id)  # not claimed yet: cancelled at once
    worker.requeue(every_store, job_id)
    owner = runner.new_owner()
    job = worker.claim_next_job(every_store, owner)
    jobs.request_cancel(every_store, job_id)  # the UI's cancel of a running job
    runs = worker.Worker(every_store, say=lambda line: None, backend_factory=fake_factory)
    runs.run_claimed(job, owner)
    assert jobs.get_job(every_store, job_id).status == JobStatus.CANCELLED


# -- real processes -------------------------------------------------------------------


def start_server(log: Path, delay: float, *extra: str) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai_server", "--port", "0", "--delay", str(delay)]
        + ["--log", str(log), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = server.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:"), base_url
    return server, base_url


def start_worker(url: str, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "OPENAI_API_KEY": "test-key"}
    with out.open("w") as stdout:
        return subprocess.Popen(
            [sys.executable, "-m", "seedbed", "worker", "--poll", "0.2"],
            cwd=ROOT,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def logged_bodies(log: Path) -> Counter[str]:
    """How often the server received each distinct chat request (model and messages)."""
    bodies = [json.loads(line)["body"] for line in log.read_text().splitlines()]
    return Counter(json.dumps([b["model"], b["messages"]]) for b in bodies)


def attempts_by_body(store: Store, job_id: int, model: str) -> dict[str, int]:
    """Attempts the store counted for each distinct request body of a job."""
    counted: Counter[str] = Counter()
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t.job_requests.c.request, t.job_requests.c.attempts).where(
                t.job_requests.c.job_id == job_id
            )
        ).all()
    for request, attempts in rows:
        messages = [{"role": m["role"], "content": m["content"]} for m in request["messages"]]
        counted[json.dumps([model, messages])] += attempts
    return counted


def attempts(store: Store, job_id: int) -> list[int]:
    c = t.job_requests.c
    with store.engine.connect() as conn:
        return list(conn.execute(select(c.attempts).where(c.job_id == job_id)).scalars())


def test_two_worker_processes_one_killed_every_job_done_nothing_sent_twice(
    every_store: Store, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    """Two workers take a job each; one is SIGKILLed mid-job; the other finishes both.

    Only the requests in flight at the kill are sent again; each job ends with
    exactly n candidates, none from the same request twice.
    """
    n, concurrency = 24, 4
    ensure_demo_projects(every_store)
    news = next(p for p in every_store.list_projects() if p.name == NEWS)
    log = tmp_path / "requests.jsonl"
    server, base_url = start_server(log, delay=0.4)
    processes.append(server)
    outs = [tmp_path / "worker-a.out", tmp_path / "worker-b.out"]
    workers = [start_worker(every_store.url, out) for out in outs]
    processes.extend(workers)
    wait_for(lambda: all("waiting for jobs" in out.read_text() for out in outs), "workers start")

    # One job queued through the command line, one through the core; one model each.
    queue = subprocess.run(
        [sys.executable, "-m", "seedbed", "generate", "--queue", "--project", NEWS]
        + ["--method", "attrprompt", "-n", str(n), "--backend", "openai", "--model", "m1"]
        + ["--base-url", base_url, "--concurrency", str(concurrency), "--seed", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": every_store.url},
        timeout=60,
    )
    assert queue.returncode == 0, queue.stderr
    assert "job 1 queued for workers" in queue.stdout
    backend = BackendConfig(kind="openai", model="m2", base_url=base_url)
    settings = JobSettings(method="attrprompt", n=n, seed=2, backend=backend, concurrency=4)
    assert worker.queue_job(every_store, news, settings) == 2

    def stored(job_id: int) -> int:
        return every_store.count_candidates(news.id, CandidateFilter(job_ids=[job_id]))

    def owner_pid(job_id: int) -> int | None:
        job = jobs.get_job(every_store, job_id)
        return int(job.owner.split("/")[1]) if job.owner else None

    def in_flight(job_id: int, model: str) -> int:
        """Requests the server received for the job that have no stored answer yet."""
        received = sum(1 for line in log.read_text().splitlines() if f'"model": "{model}"' in line)
        answered = len(attempts(every_store, job_id)) - len(
            job_requests.pending_requests(every_store, job_id)
        )
        return received - answered

    wait_for(lambda: owner_pid(1) and owner_pid(2) and stored(1) >= 4, "both jobs run")
    assert owner_pid(1) != owner_pid(2)  # one job each
    wait_for(lambda: in_flight(1, "m1") > 0, "job 1 has requests in flight")
    [victim] = [w for w in workers if w.pid == owner_pid(1)]
    [survivor] = [w for w in workers if w is not victim]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    killed_at = stored(1)
    assert killed_at < n

    def done(job_id: int) -> bool:
        return jobs.get_job(every_store, job_id).status == JobStatus.DONE

    wait_for(lambda: done(1) and done(2), "the survivor finishes both jobs")
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(20) == 0
    server.kill()

    survivor_out = outs[workers.index(survivor)].read_text()
    assert "job 1 claimed by" in survivor_out and "job 1 done" in survivor_out
    assert "job 2 done" in survivor_out and "worker stopped" in survivor_out
    for job_id in (1, 2):
        made = list(every_store.iter_candidates(news.id, CandidateFilter(job_ids=[job_id])))
        assert len(made) == n
        sources = [c.lineage["job_request_id"] for c in made]
        assert len(set(sources)) == n  # no request's candidates stored twice
    # The server saw each request exactly as often as the store counted it sent...
    received = logged_bodies(log)
    counted = attempts_by_body(every_store, 1, "m1") | attempts_by_body(every_store, 2, "m2")
    assert set(received) == {body for body, times in counted.items() if times}
    for body, times in received.items():
        assert times <= counted[body]
    # ...and only the requests in flight at the kill went out twice.
    resent = sum(times - 1 for times in received.values() if times > 1)
    assert 0 < resent <= concurrency
    assert max(attempts(every_store, 2)) == 1  # the job nobody killed: each request once


def test_a_worker_stopped_with_sigterm_hands_its_job_back(
    every_store: Store, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    ensure_demo_projects(every_store)
    news = next(p for p in every_store.list_projects() if p.name == NEWS)
    server, base_url = start_server(tmp_path / "requests.jsonl", delay=0.4)
    processes.append(server)
    out = tmp_path / "worker.out"
    first = start_worker(every_store.url, out)
    processes.append(first)
    backend = BackendConfig(kind="openai", model="m", base_url=base_url)
    settings = JobSettings(method="attrprompt", n=16, backend=backend, concurrency=2)
    job_id = worker.queue_job(every_store, news, settings)
    made = CandidateFilter(job_ids=[job_id])
    wait_for(lambda: every_store.count_candidates(news.id, made) >= 2, "the job runs")

    first.send_signal(signal.SIGTERM)
    assert first.wait(20) == 0
    assert f"job {job_id} handed back to the queue" in out.read_text()
    job = jobs.get_job(every_store, job_id)
    assert (job.status, job.owner) == (JobStatus.QUEUED, None)  # another worker may take it

    second = subprocess.run(
        [sys.executable, "-m", "seedbed", "worker", "--exit-when-idle"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": every_store.url, "OPENAI_API_KEY": "test-key"},
        timeout=90,
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"job {job_id} done" in second.stdout
    assert every_store.count_candidates(news.id, made) == 16
