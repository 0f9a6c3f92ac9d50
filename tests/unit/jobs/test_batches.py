"""Large jobs through the Batch API, against the fake server through the real openai client.

The two-stage method of tests/unit/jobs/test_runner.py plans "ideas" requests whose
replies become "write" follow-ups: the ideas go in one batch, their follow-ups
in the next. Extra request parameters reach the server on both paths.
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
from pathlib import Path

import pytest

from seedbed.errors import InputError
from seedbed.jobs import batch_rows, pricing, runner
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.pricing import Price
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig, parse_extra_params
from seedbed.llm.base import BatchRequest, run_sync
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.models import CandidateFilter, Project
from seedbed.store.core import Store
from tests.conftest import ROOT
from tests.engine_fakes import TwoStage, story_project
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer

EXTRA = {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1}


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDBED_BATCH_POLL_SECONDS", "0.05")


@pytest.fixture
def project(store: Store) -> Project:
    return story_project(store, "Batches")


def reply(messages: ChatMessages) -> str:
    """Two ideas per ideas request, one piece per write request, all distinct."""
    prompt = messages[-1]["content"]
    if prompt.startswith("Ideas"):
        tag = prompt.split("(")[1].rstrip(")")
        return f"idea {tag} a\nidea {tag} b"
    return f"A short piece about {prompt.removeprefix('Write about ')}."


def batch_settings(server: FakeOpenAIServer, n: int = 6, **changes: object) -> JobSettings:
    backend = BackendConfig(
        kind="openai", model="fake-model", base_url=server.base_url, extra_body=EXTRA
    )
    return JobSettings(method="two_stage", n=n, backend=backend, batch_from=5, **changes)


def run(store: Store, project: Project, settings: JobSettings):
    job_id = runner.start_job(store, project, settings)
    return runner.run_job(store, job_id, "test-key")


def made(store: Store, project: Project, job_id: int) -> list:
    return list(store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id])))


def direct(server: FakeOpenAIServer) -> list:
    return [r for r in server.chat_requests if r.method == "POST"]


def batched(server: FakeOpenAIServer) -> list:
    return [r for r in server.chat_requests if r.method == "BATCH"]


def test_a_large_job_goes_through_batches_and_follow_ups_go_in_the_next_one(
    store: Store, project: Project, method: TwoStage
) -> None:
    pricing.save_prices(
        store, [Price(model="fake-model", prompt_usd_per_mtok=2.0, completion_usd_per_mtok=4.0)]
    )
    with FakeOpenAIServer(reply=reply) as server:
        job = run(store, project, batch_settings(server))
        api = server.batch_api
        sizes = [len(api.input_lines(batch_id)) for batch_id in api.batches]

    assert (job.status, job.message) == (JobStatus.DONE, None)
    assert direct(server) == []  # nothing went around the Batch API
    assert sizes == [3, 6]  # 3 ideas requests, then the 6 write follow-ups
    assert all(r.body | EXTRA == r.body for r in batched(server))  # extra parameters sent
    candidates = made(store, project, job.id)
    assert len(candidates) == 6
    for candidate in candidates:  # the same checks and provenance as a direct reply
        assert candidate.content["text"].startswith("A short piece about idea")
        names = [check.name for check in candidate.checks]
        assert names == ["novelty", "empty_field", "minhash_duplicate"]
        assert json.loads(candidate.params["extra"]) == EXTRA and candidate.model == "fake-model"
    progress = job_requests.job_progress(store, job)
    full = (progress.prompt_tokens * 2.0 + progress.completion_tokens * 4.0) / 1e6
    assert progress.cost_usd == pytest.approx(full / 2)  # half the price
    rows = batch_rows.job_rows(store, job.id)
    assert [(r.status, r.provider_status) for r in rows] == [("done", "completed")] * 2
    assert all(r.batch_id and r.input_file_id and r.output_file_id for r in rows)


def test_a_small_job_is_sent_directly(store: Store, project: Project, method: TwoStage) -> None:
    with FakeOpenAIServer(reply=reply) as server:
        job = run(store, project, batch_settings(server, n=4))  # under batch_from=5
    assert job.status == JobStatus.DONE and batched(server) == []
    assert len(direct(server)) == 2 + 4
    assert all(r.body | EXTRA == r.body for r in direct(server))  # extra parameters sent


def test_a_server_without_a_batch_api_gets_the_requests_directly(
    store: Store, project: Project, method: TwoStage
) -> None:
    with FakeOpenAIServer(reply=reply, batch_api=False) as server:
        job = run(store, project, batch_settings(server))
    assert job.status == JobStatus.DONE and len(made(store, project, job.id)) == 6
    assert len(direct(server)) == 3 + 6
    [row] = batch_rows.job_rows(store, job.id)
    assert row.status == "unsupported"
    assert batch_rows.summary(store, job.id) == [
        f"{server.base_url} has no Batch API: its requests were sent directly."
    ]


def test_failed_lines_are_explained_and_unanswered_ones_go_in_the_next_batch(
    store: Store, project: Project, method: TwoStage
) -> None:
    def fault(messages: ChatMessages) -> int | None:
        return 500 if messages[-1]["content"].endswith(" b") else None  # every second write

    with FakeOpenAIServer(reply=reply, fault_for=fault) as server:
        server.batch_api.expire_after.append(1)  # the first batch answers 1 line of 3
        job = run(store, project, batch_settings(server))
        executed = Counter(json.dumps(r.body["messages"]) for r in batched(server))

    assert job.status == JobStatus.DONE
    assert max(executed.values()) == 1  # no request was answered twice
    assert len(made(store, project, job.id)) == 6  # another round made up for the failures
    failed = job_requests.failed_requests(store, job.id)
    assert failed and all(r.error.startswith("HTTP 500 in the batch: ") for r in failed)
    expired = [r for r in job_requests_of(store, job.id) if r.attempts == 2]
    assert len(expired) == 2  # sent again in the second batch, once


def job_requests_of(store: Store, job_id: int) -> list:
    from sqlalchemy import select

    from seedbed.store import schema as t

    with store.engine.connect() as conn:
        rows = conn.execute(select(t.job_requests).where(t.job_requests.c.job_id == job_id))
        return [job_requests._record(row) for row in rows]


def test_a_refused_batch_fails_the_job_and_a_resume_submits_again(
    store: Store, project: Project, method: TwoStage
) -> None:
    with FakeOpenAIServer(reply=reply) as server:
        server.batch_api.refuse = "fake-model is not available for batches."
        job = run(store, project, batch_settings(server))
        assert job.status == JobStatus.FAILED
        assert "The provider refused batch" in job.message
        assert "fake-model is not available for batches." in job.message
        assert len(job_requests.pending_requests(store, job.id)) == 3  # kept for a resume

        server.batch_api.refuse = None
        job = runner.run_job(store, job.id, "test-key")
    assert job.status == JobStatus.DONE and len(made(store, project, job.id)) == 6
    statuses = [row.status for row in batch_rows.job_rows(store, job.id)]
    assert statuses == ["failed", "done", "done"]


def test_cancel_cancels_the_open_batch_and_a_resume_sends_the_rest(
    store: Store, project: Project, method: TwoStage
) -> None:
    with FakeOpenAIServer(reply=reply, batch_seconds=60) as server:
        job_id = runner.start_job(store, project, batch_settings(server))
        thread = threading.Thread(target=runner.run_job, args=(store, job_id, "test-key"))
        thread.start()
        wait_until(lambda: any(r.batch_id for r in batch_rows.job_rows(store, job_id)))
        jobs.cancel_job(store, job_id)
        thread.join(10)
        assert jobs.get_job(store, job_id).status == JobStatus.CANCELLED
        [first] = server.batch_api.batches.values()
        assert first["status"] in ("cancelling", "cancelled")

        server.batch_api.seconds = 0
        job = runner.run_job(store, job_id, "test-key")
        executed = Counter(json.dumps(r.body["messages"]) for r in batched(server))
    assert job.status == JobStatus.DONE and len(made(store, project, job_id)) == 6
    assert max(executed.values()) == 1


def wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- a restart: the killed process's batch is picked up, not sent again ------------------


def test_a_killed_batch_job_resumes_with_its_open_batch(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    db, log = tmp_path / "batch.db", tmp_path / "requests.jsonl"
    assert (
        subprocess.run(
            [sys.executable, "-m", "seedbed", "--db", str(db), "init"], cwd=ROOT, timeout=60
        ).returncode
        == 0
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai_server", "--port", "0"]
        + ["--batch-seconds", "3", "--log", str(log)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    processes.append(server)
    base_url = server.stdout.readline().strip()
    env = {**os.environ, "OPENAI_API_KEY": "test", "SEEDBED_BATCH_POLL_SECONDS": "0.2"}
    command = [sys.executable, "-m", "seedbed", "--db", str(db)]
    generate = command + ["generate", "--project", "News topic classification"]
    generate += ["--method", "attrprompt", "-n", "12", "--backend", "openai", "--model", "m"]
    generate += ["--base-url", base_url, "--batch-from", "10", "--extra-params", '{"top_k": 7}']
    first = subprocess.Popen(
        generate, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    processes.append(first)
    store = Store(f"sqlite:///{db}")
    wait_until(
        lambda: (
            first.poll() is None
            and jobs.get_job(store, 1) is not None
            and any(r.batch_id for r in batch_rows.job_rows(store, 1))
        ),
        timeout=60,
    )
    first.send_signal(signal.SIGKILL)
    first.wait(10)

    resumed = subprocess.run(
        command + ["resume", "--job", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "job 1 done: 12/12 candidates" in resumed.stdout
    assert "Batch batch_fake_2: 12 requests to m, completed" in resumed.stdout
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 12 and {line["via"] for line in lines} == {"BATCH"}
    assert len({json.dumps(line["body"]["messages"]) for line in lines}) == 12  # each once
    assert all(line["body"]["top_k"] == 7 for line in lines)
    [row] = batch_rows.job_rows(store, 1)
    assert row.status == "done"


# -- extra parameters -------------------------------------------------------------------


def test_extra_parameters_are_a_json_object_that_does_not_override_seedbeds_own() -> None:
    assert parse_extra_params(' {"top_k": 40, "min_p": 0.05} ') == {"top_k": 40, "min_p": 0.05}
    assert parse_extra_params("  ") == {}
    with pytest.raises(InputError, match="not valid JSON"):
        parse_extra_params("{top_k: 40}")
    with pytest.raises(InputError, match="must be a JSON object"):
        parse_extra_params("[40]")
    with pytest.raises(InputError, match="max_tokens, temperature cannot be an extra parameter"):
        parse_extra_params('{"temperature": 0, "max_tokens": 9}')
    with pytest.raises(InputError, match="model cannot be an extra parameter"):
        BackendConfig(kind="openai", model="m", extra_body={"model": "other"})


def test_a_batch_submitted_just_before_a_crash_is_found_by_its_row_id(
    store: Store, project: Project, method: TwoStage
) -> None:
    """The run died after creating the batch, before storing its id: nothing is sent again."""
    with FakeOpenAIServer(reply=reply) as server:
        job_id = runner.start_job(store, project, batch_settings(server))
        job_requests.add_round(store, job_id, 1, method.plan(None, 6, runner.round_rng(0, 1)))
        records = job_requests.pending_requests(store, job_id)
        backend = OpenAIBackend(
            "fake-model", api_key="test-key", base_url=server.base_url, extra_body=EXTRA
        )
        row = batch_rows.add(
            store, job_id, backend.endpoint, backend.model, [r.id for r in records]
        )

        requests = [BatchRequest(str(r.id), r.request.messages, r.request.params) for r in records]

        async def crashed_run_submits() -> None:
            async with backend.batches() as api:
                file_id = await api.upload("lost.jsonl", requests)
                await api.create(file_id, {"seedbed_batch": str(row.id)})

        run_sync(crashed_run_submits())
        job = runner.run_job(store, job_id, "test-key")
        api = server.batch_api
        sizes = [len(api.input_lines(batch_id)) for batch_id in api.batches]
        executed = Counter(json.dumps(r.body["messages"]) for r in batched(server))
    assert job.status == JobStatus.DONE and len(made(store, project, job_id)) == 6
    assert sizes == [3, 6]  # the adopted batch, then the follow-ups: no second copy
    assert max(executed.values()) == 1
    assert batch_rows.job_rows(store, job_id)[0].batch_id == next(iter(api.batches))
