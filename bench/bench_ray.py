"""Benchmark: one AttrPrompt job on a Ray cluster of two nodes against one node, and Ray's overhead.

A local OpenAI-compatible test server (tests/fake_openai_server.py, a separate
process) answers every request after a fixed latency and logs it. One AttrPrompt
job ("News topic classification", `--n` candidates of one request each, at most
`--concurrency` requests in flight per sender) runs three times on fresh SQLite
stores, in this order:
  1. in-process (seedbed/jobs/runner.py, as the app runs it without a cluster);
  2. on a one-node local Ray cluster (ray.cluster_utils.Cluster, 1 CPU, no dashboard):
     a detached driver and one sender actor;
  3. on a two-node local cluster: the same driver, a sender actor on each node.
Each time counts from the job's claim to its end as the store has it (the job's
elapsed seconds) and, for the cluster, also from the submission (the driver's
start included). The speed-up is 2 against 1 (target at least 1.8x); Ray's
overhead per request is 2 against 1 (target under 15%).

Checks, on every run: the job is done with all n candidates, one per request,
and the server's log holds exactly as many requests of the run's model as the
store holds answered requests (none sent twice, none lost).

Run: .venv/bin/python bench/bench_ray.py [--n 2000] [--concurrency 8] [--latency 0.5]
Exits with status 1 if a check fails or a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from seedbed.cluster import connect  # noqa: E402
from seedbed.files.presets import ensure_demo_projects  # noqa: E402
from seedbed.jobs import ray_runner, runner  # noqa: E402
from seedbed.jobs import requests as job_requests  # noqa: E402
from seedbed.jobs import state as jobs  # noqa: E402
from seedbed.jobs.state import JobSettings, JobStatus  # noqa: E402
from seedbed.llm import BackendConfig  # noqa: E402
from seedbed.models import CandidateFilter, Project  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

PROJECT = "News topic classification"
KEY = "bench-key"


def wait_for(check: Callable[[], object], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting until {what}")
        time.sleep(0.1)


def new_job(folder: Path, name: str, args: argparse.Namespace, base_url: str, cluster: bool):
    store = Store(f"sqlite:///{folder / f'{name}.db'}")
    ensure_demo_projects(store)
    project = next(p for p in store.list_projects() if p.name == PROJECT)
    backend = BackendConfig(kind="openai", model=name, base_url=base_url)
    settings = JobSettings(
        method="attrprompt",
        n=args.n,
        seed=1,
        backend=backend,
        concurrency=args.concurrency,
        cluster=cluster,
    )
    return store, project, runner.start_job(store, project, settings)


def in_process(folder: Path, args: argparse.Namespace, base_url: str) -> float:
    store, project, job_id = new_job(folder, "local", args, base_url, cluster=False)
    runner.run_job(store, job_id, KEY)
    check(store, project, job_id, args.n, folder)
    return jobs.get_job(store, job_id).elapsed_seconds


def on_cluster(folder: Path, nodes: int, args: argparse.Namespace, base_url: str):
    """(the job's elapsed seconds, seconds from submission) on a local cluster of `nodes`."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    for _ in range(nodes - 1):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        connect(cluster.address)
        store, project, job_id = new_job(folder, f"ray{nodes}", args, base_url, cluster=True)
        started = time.perf_counter()
        ray_runner.submit(store, job_id, cluster.address)
        wait_for(lambda: jobs.get_job(store, job_id).status not in jobs.LIVE, "the job ends", 3600)
        wall = time.perf_counter() - started
        check(store, project, job_id, args.n, folder)
        served = job_requests.nodes_served(store, job_id)
        print(f"  {nodes} node(s) served: {served}")
        if len(served) != nodes:
            sys.exit(f"FAILED: {len(served)} of {nodes} nodes served the job")
        return jobs.get_job(store, job_id).elapsed_seconds, wall
    finally:
        ray.shutdown()
        cluster.shutdown()


def check(store: Store, project: Project, job_id: int, n: int, folder: Path) -> None:
    job = jobs.get_job(store, job_id)
    made = list(store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id])))
    sources = Counter(c.lineage["job_request_id"] for c in made)
    if job.status != JobStatus.DONE or len(made) != n or max(sources.values()) != 1:
        sys.exit(f"FAILED: job {job.status}, {len(made)} of {n} candidates, one per request")
    model = job.settings.backend.model
    lines = (folder / "requests.jsonl").read_text().splitlines()
    received = sum(1 for line in lines if json.loads(line)["body"]["model"] == model)
    progress = job_requests.job_progress(store, job)
    if received != progress.done + progress.failed:
        sys.exit(f"FAILED: the server got {received} requests for {progress.done} answered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = KEY  # the clusters' nodes read it when they start
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "requests.jsonl"
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_openai_server", "--port", "0"]
            + ["--delay", str(args.latency), "--log", str(log)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        base_url = server.stdout.readline().strip()
        try:
            local = in_process(folder, args, base_url)
            one, one_wall = on_cluster(folder, 1, args, base_url)
            two, two_wall = on_cluster(folder, 2, args, base_url)
        finally:
            server.terminate()
            server.wait(30)
    ideal = args.n * args.latency / args.concurrency
    speedup, overhead = one / two, one / local - 1
    print(f"{args.n} requests, {args.latency} s latency, {args.concurrency} per sender")
    rows = [
        ("in-process", local, f"ideal {ideal:.1f} s"),
        ("Ray, 1 node", one, f"{one_wall:.1f} s from submission"),
        ("Ray, 2 nodes", two, f"{two_wall:.1f} s from submission"),
    ]
    for name, seconds, note in rows:
        print(f"  {name:<14} {seconds:7.1f} s  ({args.n / seconds:5.1f} requests/s; {note})")
    print(f"  2 nodes / 1 node: {speedup:.2f}x (target >= 1.8x)")
    print(
        f"  Ray's overhead on 1 node: {overhead:+.1%} (target < 15%), "
        f"{(one - local) / args.n * 1000:+.2f} ms per request"
    )
    print("  every run: n candidates, one per request; the server got each request once")
    if speedup < 1.8 or overhead >= 0.15:
        sys.exit(1)


if __name__ == "__main__":
    main()
