"""Jobs, their requests and the price table in the store: what a resume and the UI rely on."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, update

from seedbed.errors import InputError
from seedbed.jobs import pricing
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.pricing import Price, PriceTable
from seedbed.jobs.state import JobSettings, JobStatus, RequestStatus
from seedbed.methods.base import Request
from seedbed.models import Candidate, Check, GenerationParams, Message, Project, Usage
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.conftest import V1_DUMP


def request(key: str, stage: str = "write", **context: object) -> Request:
    return Request(
        key=key,
        stage=stage,
        messages=[Message(role="user", content=f"Please {key}.")],
        params=GenerationParams(max_tokens=20),
        context=context,
    )


@pytest.fixture
def project_id(every_store: Store) -> int:
    return every_store.create_project(Project(name="Jobs"))


def new_job(store: Store, project_id: int, n: int = 3) -> int:
    return jobs.create_job(store, project_id, JobSettings(method="fake", n=n))


def candidate(project_id: int, job_id: int, text: str, passed: bool = True) -> Candidate:
    return Candidate(
        project_id=project_id,
        content={"text": text},
        method="fake",
        job_id=job_id,
        checks=[Check(name="novelty", passed=passed)],
        lineage={"parent_id": 7},
    )


def test_settings_never_hold_a_key_and_round_trip(every_store: Store, project_id: int) -> None:
    settings = JobSettings(
        method="fake",
        n=10,
        seed=3,
        options={"max_instances": 2},
        stage_backends={"classify": {"kind": "openai", "model": "cheap", "base_url": "http://x"}},
        budget_usd=0.5,
    )
    job = jobs.get_job(every_store, jobs.create_job(every_store, project_id, settings))
    assert job.settings == settings
    assert job.status == JobStatus.QUEUED
    assert job.settings.backend_for("classify").model == "cheap"
    assert job.settings.backend_for("instances") == settings.backend
    with pytest.raises(ValueError, match="api_key"):
        JobSettings(method="fake", n=1, backend={"kind": "openai", "api_key": "sk-1"})


def test_a_live_owner_keeps_the_job_until_its_heartbeat_stops(
    every_store: Store, project_id: int
) -> None:
    job_id = new_job(every_store, project_id)
    assert jobs.claim_job(every_store, job_id, "host/1/a").owner == "host/1/a"
    assert jobs.claim_job(every_store, job_id, "host/2/b") is None  # alive elsewhere
    assert jobs.heartbeat(every_store, job_id, "host/1/a", 1.5) == (True, False)

    stale = datetime.now(UTC) - jobs.STALE_AFTER - timedelta(seconds=1)
    with every_store.engine.begin() as conn:
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(heartbeat_at=stale))
    assert jobs.get_job(every_store, job_id).is_interrupted()
    taken = jobs.claim_job(every_store, job_id, "host/2/b")
    assert taken.owner == "host/2/b" and taken.elapsed_seconds == 1.5
    # The first owner learns it lost the job; its heartbeats change nothing.
    assert jobs.heartbeat(every_store, job_id, "host/1/a", 9.0) == (False, False)
    assert jobs.claim_job(every_store, job_id, "host/3/c", take_over=True).owner == "host/3/c"


def test_cancel_is_seen_by_the_heartbeat_and_cleared_by_a_resume(
    every_store: Store, project_id: int
) -> None:
    job_id = new_job(every_store, project_id)
    jobs.claim_job(every_store, job_id, "me")
    jobs.cancel_job(every_store, job_id)
    assert jobs.heartbeat(every_store, job_id, "me", 0.0) == (True, True)
    jobs.finish_job(every_store, job_id, "me", JobStatus.CANCELLED, 2.0, "Cancelled.")
    resumed = jobs.claim_job(every_store, job_id, "you")
    assert (resumed.status, resumed.cancel_requested, resumed.message) == ("running", False, None)


def test_a_done_job_cannot_be_claimed_and_its_unsent_requests_are_skipped(
    every_store: Store, project_id: int
) -> None:
    job_id = new_job(every_store, project_id)
    job_requests.add_round(every_store, job_id, 1, [request("a"), request("b")])
    jobs.claim_job(every_store, job_id, "me")
    jobs.finish_job(every_store, job_id, "me", JobStatus.DONE, 1.0, None)
    assert jobs.claim_job(every_store, job_id, "me", take_over=True) is None
    assert job_requests.pending_requests(every_store, job_id) == []
    progress = job_requests.job_progress(every_store, jobs.get_job(every_store, job_id))
    assert (progress.requests, progress.pending) == (2, 0)


def test_request_keys_are_unique_in_the_whole_job(every_store: Store, project_id: int) -> None:
    job_id = new_job(every_store, project_id)
    assert job_requests.add_round(every_store, job_id, 1, [request("a"), request("b")]) == 2
    assert job_requests.add_round(every_store, job_id, 2, [request("a"), request("c")]) == 1
    pending = job_requests.pending_requests(every_store, job_id)
    assert [(r.round, r.request.key) for r in pending] == [(1, "a"), (1, "b"), (2, "c")]
    assert pending[0].request == request("a")
    assert jobs.get_job(every_store, job_id).rounds == 2


def test_an_answer_lands_in_one_transaction(every_store: Store, project_id: int) -> None:
    job_id = new_job(every_store, project_id)
    job_requests.add_round(every_store, job_id, 1, [request("a", stage="ideas")])
    [record] = job_requests.pending_requests(every_store, job_id)
    job_requests.count_attempt(every_store, record.id)

    ids, added = job_requests.complete_request(
        every_store,
        record,
        model="m-2024",
        usage=Usage(prompt_tokens=30, completion_tokens=12),
        cost_usd=0.25,
        candidates=[
            candidate(project_id, job_id, "one"),
            candidate(project_id, job_id, "two", False),
        ],
        follow_ups=[request("a/1", idea="x"), request("a/2")],
    )

    stored = [every_store.get_candidate(i) for i in ids]
    assert [c.content["text"] for c in stored] == ["one", "two"]
    assert stored[0].lineage == {"parent_id": 7}
    assert [(r.round, r.request.key, r.request.context) for r in added] == [
        (1, "a/1", {"idea": "x"}),
        (1, "a/2", {}),
    ]
    assert [r.request.key for r in job_requests.pending_requests(every_store, job_id)] == [
        "a/1",
        "a/2",
    ]
    progress = job_requests.job_progress(every_store, jobs.get_job(every_store, job_id))
    assert (progress.stored, progress.filtered, progress.done, progress.pending) == (2, 1, 1, 2)
    assert (progress.tokens, progress.cost_usd, progress.unpriced_tokens) == (42, 0.25, 0)


def test_a_failed_request_keeps_its_error_and_can_be_retried(
    every_store: Store, project_id: int
) -> None:
    job_id = new_job(every_store, project_id)
    job_requests.add_round(every_store, job_id, 1, [request("a")])
    [record] = job_requests.pending_requests(every_store, job_id)
    job_requests.complete_request(
        every_store, record, error="HTTP 500 after 3 retries", usage=Usage(prompt_tokens=5)
    )
    [failed] = job_requests.failed_requests(every_store, job_id)
    assert (failed.status, failed.error, failed.usage.prompt_tokens) == (
        RequestStatus.FAILED,
        "HTTP 500 after 3 retries",
        5,
    )
    progress = job_requests.job_progress(every_store, jobs.get_job(every_store, job_id))
    assert (progress.failed, progress.unpriced_tokens) == (1, 5)  # no cost known
    assert job_requests.retry_failed(every_store, job_id) == 1
    assert [r.request.key for r in job_requests.pending_requests(every_store, job_id)] == ["a"]


def test_a_write_that_fails_midway_stores_nothing_of_the_answer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = store.create_project(Project(name="Atomic"))
    job_id = new_job(store, project_id)
    job_requests.add_round(store, job_id, 1, [request("a")])
    [record] = job_requests.pending_requests(store, job_id)
    real_row = job_requests._candidate_row

    def second_breaks(value: Candidate) -> dict:
        if value.content["text"] == "two":
            raise OSError("disk full")
        return real_row(value)

    monkeypatch.setattr(job_requests, "_candidate_row", second_breaks)
    with pytest.raises(OSError):
        job_requests.complete_request(
            store,
            record,
            candidates=[candidate(project_id, job_id, "one"), candidate(project_id, job_id, "two")],
            follow_ups=[request("a/1")],
        )
    assert store.list_candidates(project_id) == []
    assert [r.request.key for r in job_requests.pending_requests(store, job_id)] == ["a"]


def test_jobs_are_listed_newest_first_per_project(store: Store) -> None:
    first = store.create_project(Project(name="One"))
    second = store.create_project(Project(name="Two"))
    ids = [new_job(store, first), new_job(store, second), new_job(store, first)]
    assert [j.id for j in jobs.list_jobs(store, first)] == [ids[2], ids[0]]
    assert [j.id for j in jobs.live_jobs(store)] == ids


# -- prices -----------------------------------------------------------------------------


def test_a_new_database_starts_with_the_shipped_prices(store: Store) -> None:
    table = pricing.load_prices(store)
    assert set(table.prices) == {price.model for price in pricing.DEFAULT_PRICES}
    assert table.find("SmolLM2-135M-Instruct").completion_usd_per_mtok == 0


def test_a_dated_model_name_costs_what_its_family_costs() -> None:
    table = PriceTable(
        [
            Price(model="gpt-4o", prompt_usd_per_mtok=2.5, completion_usd_per_mtok=10),
            Price(model="gpt-4o-mini", prompt_usd_per_mtok=0.15, completion_usd_per_mtok=0.6),
        ]
    )
    assert table.find("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"
    assert table.find("gpt-4o-2024-08-06").model == "gpt-4o"
    assert table.find("llama3.2") is None
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000)
    assert table.cost("gpt-4o-mini-2024-07-18", usage) == pytest.approx(0.45)
    assert table.cost("llama3.2", usage) is None


def test_the_price_table_is_edited_as_a_whole(store: Store) -> None:
    prices = [Price(model=" my-model ", prompt_usd_per_mtok=1, completion_usd_per_mtok=2)]
    pricing.save_prices(store, prices)
    assert list(pricing.load_prices(store).prices.values()) == [
        Price(model="my-model", prompt_usd_per_mtok=1, completion_usd_per_mtok=2)
    ]
    with pytest.raises(InputError, match="Two prices for the same model: my-model"):
        pricing.save_prices(store, prices * 2)
    assert list(pricing.load_prices(store).prices) == ["my-model"]  # unchanged
    with pytest.raises(ValueError):
        Price(model="x", prompt_usd_per_mtok=-1, completion_usd_per_mtok=0)


def test_a_budget_allows_up_to_its_cap_and_not_a_token_more() -> None:
    def problem(**changes: object) -> str | None:
        amounts = {"used_tokens": 60, "used_usd": 0.0, "reserved_tokens": 40}
        amounts |= {"reserved_usd": 0.0, "next_tokens": 30, "next_usd": 0.0}
        return pricing.budget_problem(100, None, **(amounts | changes))

    assert problem() is None  # 60 used + 40 at most still to come = the cap
    assert problem(reserved_tokens=41) == (
        "Stopped before passing the budget of 100 tokens: 60 used, and the next request "
        "could need up to 30."
    )
    money = pricing.budget_problem(
        None,
        0.5,
        used_tokens=0,
        used_usd=0.45,
        reserved_tokens=0,
        reserved_usd=0.06,
        next_tokens=0,
        next_usd=0.06,
    )
    assert money == (
        "Stopped before passing the budget of $0.5000: $0.4500 spent, and the next request "
        "could cost up to $0.0600."
    )


def test_a_version_1_database_gains_lineage_jobs_and_prices(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DUMP.read_text())

    store = Store(f"sqlite:///{path}")

    assert {"jobs", "job_requests", "model_prices"} <= set(inspect(store.engine).get_table_names())
    [project] = store.list_projects()
    [old] = store.list_candidates(project.id)
    assert old.lineage == {}
    new_id = store.add_candidate(
        Candidate(project_id=project.id, content={"text": "x"}, method="m", lineage={"a": 1})
    )
    assert store.get_candidate(new_id).lineage == {"a": 1}
    assert pricing.load_prices(store).find("gpt-4o-mini") is not None


def test_a_job_queued_for_a_cluster_driver_is_claimed_only_while_still_queued(
    every_store: Store, project_id: int
) -> None:
    job_id = new_job(every_store, project_id)
    jobs.claim_job(every_store, job_id, "dead-driver")
    assert jobs.queue_job(every_store, job_id)  # what a resume on the cluster does
    queued = jobs.get_job(every_store, job_id)
    assert (queued.status, queued.owner, queued.is_interrupted()) == ("queued", None, False)
    jobs.cancel_job(every_store, job_id)  # nobody has claimed it: cancelled at once
    assert jobs.get_job(every_store, job_id).status == JobStatus.CANCELLED
    assert jobs.claim_job(every_store, job_id, "late-driver", queued_only=True) is None
    assert jobs.queue_job(every_store, job_id)
    assert jobs.claim_job(every_store, job_id, "driver", queued_only=True).owner == "driver"
    jobs.cancel_job(every_store, job_id)  # claimed: the run hears it at its heartbeat
    assert jobs.heartbeat(every_store, job_id, "driver", 0.0) == (True, True)
    jobs.finish_job(every_store, job_id, "driver", JobStatus.DONE, 1.0, None)
    assert not jobs.queue_job(every_store, job_id)  # a done job stays done
