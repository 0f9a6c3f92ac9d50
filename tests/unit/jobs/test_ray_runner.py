"""Jobs on a real two-node Ray cluster (tests/conftest.py's ray_cluster) against the fake server.

The driver and the senders are real Ray actors; the server is the fake OpenAI
server in this process, which records every request it answers. Nothing of Ray
is mocked. Each test kills what a real cluster loses: a sender actor, the driver.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from seedbed.cluster import NAMESPACE
from seedbed.files.presets import ensure_demo_projects
from seedbed.jobs import ray_runner, runner
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.models import CandidateFilter, Project
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.conftest import NODE_KEY
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.slow
NEWS = "News topic classification"


@pytest.fixture
def news(store: Store) -> Project:
    ensure_demo_projects(store)
    return next(p for p in store.list_projects() if p.name == NEWS)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    """Answers only the nodes' key: the app's process has none."""
    with FakeOpenAIServer(api_key=NODE_KEY, delay=0.3) as fake:
        yield fake


def start(store: Store, news: Project, server: FakeOpenAIServer, n: int, address: str) -> int:
    backend = BackendConfig(kind="openai", model="m", base_url=server.base_url)
    settings = JobSettings(
        method="attrprompt", n=n, seed=3, backend=backend, concurrency=3, cluster=True
    )
    job_id = runner.start_job(store, news, settings)
    ray_runner.submit(store, job_id, address)
    return job_id


def wait_for(check: Callable[[], bool], what: str, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def stored(store: Store, news: Project, job_id: int) -> int:
    return store.count_candidates(news.id, CandidateFilter(job_ids=[job_id]))


def status(store: Store, job_id: int) -> JobStatus:
    return jobs.get_job(store, job_id).status


def assert_each_request_stored_once(store: Store, news: Project, job_id: int, n: int) -> None:
    made = list(store.iter_candidates(news.id, CandidateFilter(job_ids=[job_id])))
    assert len(made) == n
    sources = [c.lineage["job_request_id"] for c in made]
    assert len(set(sources)) == n  # no request's candidates stored twice
    c = t.job_requests.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(c.id, c.status).where(c.job_id == job_id)).all()
    answered = {row.id for row in rows if row.status == "done"}
    assert set(sources) == answered  # every answered request brought its one candidate


def resent(server: FakeOpenAIServer) -> int:
    """Requests the server answered more than once (the same messages again)."""
    bodies = Counter(str(r.messages) for r in server.chat_requests)
    return sum(times - 1 for times in bodies.values())


def test_a_job_is_served_by_senders_on_both_nodes_and_stored_once(
    ray_cluster: str, store: Store, news: Project, server: FakeOpenAIServer
) -> None:
    job_id = start(store, news, server, 18, ray_cluster)
    wait_for(lambda: status(store, job_id) == JobStatus.DONE, "the job is done")

    assert_each_request_stored_once(store, news, job_id, 18)
    nodes = job_requests.nodes_served(store, job_id)
    assert len(nodes) == 2 and sum(nodes.values()) == 18  # both nodes served it
    assert resent(server) == 0
    keys = {r.headers.get("authorization") for r in server.chat_requests}
    assert keys == {f"Bearer {NODE_KEY}"}  # each node sent with its own key
    # The driver marks the job done, then leaves.
    wait_for(lambda: not ray_runner.driver_running(job_id, ray_cluster), "the driver left")


def test_a_killed_sender_is_restarted_and_its_requests_sent_again_not_stored_twice(
    ray_cluster: str, store: Store, news: Project, server: FakeOpenAIServer
) -> None:
    import ray

    job_id = start(store, news, server, 30, ray_cluster)
    wait_for(lambda: stored(store, news, job_id) >= 4, "the job runs")
    victim = ray.get_actor(f"seedbed-job-{job_id}-sender-0", namespace=NAMESPACE)
    ray.kill(victim, no_restart=False)  # its process dies; Ray starts it again
    wait_for(lambda: status(store, job_id) == JobStatus.DONE, "the job is done")

    assert_each_request_stored_once(store, news, job_id, 30)
    assert len(job_requests.nodes_served(store, job_id)) == 2
    assert resent(server) <= 3  # at most the victim's requests in flight went out again


def test_a_killed_driver_resumes_from_the_store_nothing_lost_or_repeated(
    ray_cluster: str, store: Store, news: Project, server: FakeOpenAIServer
) -> None:
    import ray

    job_id = start(store, news, server, 30, ray_cluster)
    wait_for(lambda: stored(store, news, job_id) >= 6, "the job runs")
    driver = ray.get_actor(ray_runner.driver_name(job_id), namespace=NAMESPACE)
    ray.kill(driver, no_restart=True)  # its senders go with it (Ray fate-shares them)
    wait_for(lambda: not ray_runner.driver_running(job_id, ray_cluster), "the driver is gone")
    before = stored(store, news, job_id)
    assert before < 30 and status(store, job_id) == JobStatus.RUNNING

    ray_runner.submit(store, job_id, ray_cluster)  # what Resume on the job page does
    wait_for(lambda: status(store, job_id) == JobStatus.DONE, "the resumed job is done")

    assert_each_request_stored_once(store, news, job_id, 30)
    assert resent(server) <= 6  # only what was in flight at the kill (3 per sender)


def test_one_driver_per_job_and_a_cancel_stops_it(
    ray_cluster: str, store: Store, news: Project, server: FakeOpenAIServer
) -> None:
    job_id = start(store, news, server, 30, ray_cluster)
    with pytest.raises(runner.JobError, match="already running on the Ray cluster"):
        ray_runner.submit(store, job_id, ray_cluster)  # the driver's name is taken
    jobs.cancel_job(store, job_id)  # before its claim: at once; after: at its heartbeat
    wait_for(lambda: not ray_runner.driver_running(job_id, ray_cluster), "the driver is gone")
    assert status(store, job_id) == JobStatus.CANCELLED
    assert stored(store, news, job_id) < 30
