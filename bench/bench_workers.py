"""Benchmark: throughput of 4 worker processes against 1, on the same queued jobs.

A local OpenAI-compatible test server (tests/fake_openai_server.py, a separate
process) answers every request after a fixed latency and logs each request it
answers. `--jobs` AttrPrompt jobs ("News topic classification" demo project,
`--n` candidates of one request each, `--concurrency` requests at once) are
queued for workers in a fresh SQLite store; `python -m seedbed worker`
processes, already started and idle, run them. The same jobs run once with 1
worker (the reference) and once with `--workers` workers, in the same run.
Throughput is requests answered per second, from the moment the jobs are queued
to the moment the last one is done.

Checks, from the server's request log against the store: every job ends done
with all n candidates; the server received each request exactly as many times
as the store counted it sent, and that is once (no request sent twice).

Run: .venv/bin/python bench/bench_workers.py [--workers 4] [--jobs 8] [--n 24]
     [--concurrency 4] [--latency 0.5]
Exits with status 1 if a check fails or the ratio is under 3.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sqlalchemy import select  # noqa: E402

from seedbed.files.presets import ensure_demo_projects  # noqa: E402
from seedbed.jobs import state as jobs  # noqa: E402
from seedbed.jobs import worker  # noqa: E402
from seedbed.jobs.state import JobSettings, JobStatus  # noqa: E402
from seedbed.llm import BackendConfig  # noqa: E402
from seedbed.models import CandidateFilter  # noqa: E402
from seedbed.store import schema as t  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

PROJECT = "News topic classification"


def start(command: list[str], out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with out.open("w") as stdout:
        return subprocess.Popen(command, cwd=ROOT, stdout=stdout, stderr=subprocess.STDOUT, env=env)


def wait_for(check: Callable[[], object], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting until {what}")
        time.sleep(0.05)


def run(workers: int, args: argparse.Namespace, folder: Path) -> tuple[float, int]:
    """Seconds from queueing to the last job done, and requests answered, with `workers`."""
    log, url = folder / "requests.jsonl", f"sqlite:///{folder / 'bench.db'}"
    store = Store(url)
    ensure_demo_projects(store)
    project = next(p for p in store.list_projects() if p.name == PROJECT)
    server_out = folder / "server.out"
    server = start(
        [sys.executable, "-m", "tests.fake_openai_server", "--port", "0"]
        + ["--delay", str(args.latency), "--log", str(log)],
        server_out,
        dict(os.environ),
    )
    wait_for(lambda: server_out.read_text().strip(), "the server starts", 30)
    base_url = server_out.read_text().splitlines()[0].strip()
    env = {**os.environ, "DATABASE_URL": url, "OPENAI_API_KEY": "bench-key"}
    outs = [folder / f"worker-{i}.out" for i in range(workers)]
    processes = [
        start([sys.executable, "-m", "seedbed", "worker", "--poll", "0.1"], out, env)
        for out in outs
    ]
    try:
        wait_for(lambda: all("waiting" in o.read_text() for o in outs), "workers start", 120)
        started = time.perf_counter()
        ids = []
        for index in range(args.jobs):
            backend = BackendConfig(kind="openai", model=f"m{index}", base_url=base_url)
            settings = JobSettings(
                method="attrprompt",
                n=args.n,
                seed=index,
                backend=backend,
                concurrency=args.concurrency,
            )
            ids.append(worker.queue_job(store, project, settings))
        wait_for(
            lambda: all(jobs.get_job(store, i).status not in jobs.LIVE for i in ids),
            "every job ends",
            600,
        )
        seconds = time.perf_counter() - started
    finally:
        for process in [*processes, server]:
            process.send_signal(signal.SIGTERM)
        for process in [*processes, server]:
            process.wait(30)
    check(store, project.id, ids, args.n, log)
    return seconds, len(log.read_text().splitlines())


def check(store: Store, project_id: int, ids: list[int], n: int, log: Path) -> None:
    """Every job done with n candidates; the server log matches the store, each request once."""
    for job_id in ids:
        job = jobs.get_job(store, job_id)
        made = store.count_candidates(project_id, CandidateFilter(job_ids=[job_id]))
        if job.status != JobStatus.DONE or made != n:
            sys.exit(f"job {job_id} ended {job.status} with {made} of {n}: {job.message}")
    bodies = [json.loads(line)["body"] for line in log.read_text().splitlines()]
    received = Counter(json.dumps([b["model"], b["messages"]]) for b in bodies)
    counted: Counter[str] = Counter()
    query = select(t.jobs.c.settings, t.job_requests.c.request, t.job_requests.c.attempts)
    query = query.join(t.jobs, t.jobs.c.id == t.job_requests.c.job_id)
    with store.engine.connect() as conn:
        for settings, request, attempts in conn.execute(query):
            if attempts > 1:
                sys.exit(f"request {request['key']} was sent {attempts} times")
            messages = [{"role": m["role"], "content": m["content"]} for m in request["messages"]]
            counted[json.dumps([settings["backend"]["model"], messages])] += attempts
    if received != +counted:
        sys.exit("the server's request log does not match what the store says was sent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=8, help="jobs queued (AttrPrompt)")
    parser.add_argument("--n", type=int, default=24, help="candidates per job, one request each")
    parser.add_argument("--concurrency", type=int, default=4, help="requests at once per job")
    parser.add_argument("--latency", type=float, default=0.5, help="server seconds per request")
    args = parser.parse_args()
    results = {}
    for count in (1, args.workers):
        with tempfile.TemporaryDirectory() as folder:
            seconds, requests = run(count, args, Path(folder))
        results[count] = (seconds, requests, requests / seconds)
        print(
            f"{count} worker{'s' if count != 1 else ''}: {args.jobs} jobs, {requests} requests "
            f"in {seconds:.1f} s = {requests / seconds:.1f} requests/s "
            f"({args.jobs * args.n / seconds:.1f} candidates/s)",
            flush=True,
        )
    ratio = results[args.workers][2] / results[1][2]
    print(f"{args.workers} workers / 1 worker: {ratio:.2f}x throughput (target at least 3x)")
    print("no request was sent twice (server log = store's attempts, all 1)")
    if ratio < 3:
        sys.exit(1)


if __name__ == "__main__":
    main()
