"""Jobs fit the server: fewer requests at once when it queues or times out, and a timeout
the user sets. Run against the fake OpenAI server serving one request at a time."""

from __future__ import annotations

import pytest

from seedbed.errors import InputError
from seedbed.jobs import requests as job_requests
from seedbed.jobs import runner
from seedbed.jobs.senders import Window
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig, ChatResult, make_backend
from seedbed.models import Usage
from seedbed.store.core import Store
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.jobs.test_rounds import news_project


def test_a_job_of_eight_at_once_does_not_time_out_a_server_answering_one_at_a_time(
    store: Store,
) -> None:
    # Each reply takes 0.3 s and the server queues the rest: 8 at once would make
    # the last wait 2.4 s, past the 1.5 s timeout.
    project = news_project(store)
    with FakeOpenAIServer(reply=lambda m: "A calm article.", delay=0.3, serial=True) as server:
        config = BackendConfig(
            kind="openai", model="fake-model", base_url=server.base_url, timeout=1.5
        )
        settings = JobSettings(method="attrprompt", n=10, backend=config, concurrency=8)
        job_id = runner.start_job(store, project, settings)
        job = runner.run_job(store, job_id, api_key="test-key")
        progress = job_requests.job_progress(store, job)
        sent = len(server.chat_requests)

    assert (job.status, progress.failed, progress.stored) == (JobStatus.DONE, 0, 10)
    assert sent == 10  # no request timed out and was sent again


def test_the_window_grows_on_a_fast_server_and_halves_on_congestion() -> None:
    window = Window(8)
    reply = ChatResult(text="x", usage=Usage(completion_tokens=10))
    for _ in range(6):
        window.landed(window.ticket(), "s", 1.0, reply, company=0)
    assert window.limit == 7  # +1 a reply until the first sign of congestion
    window.landed(window.ticket(), "s", 1.0, reply, company=0)
    assert window.limit == 8  # never past the job's concurrency
    busy = ChatResult(error="Timed out", overloaded=True)
    tickets = [window.ticket() for _ in range(3)]
    window.landed(tickets[0], "s", 60.0, busy, company=7)
    assert window.limit == 4
    window.landed(tickets[1], "s", 60.0, busy, company=7)
    assert window.limit == 4  # sent before the decrease: counts once
    window.landed(window.ticket(), "s", 3.0, reply, company=3)  # 3x the best pace: queued
    assert window.limit == 2
    for _ in range(4):  # additive now: +1 per window of replies
        window.landed(window.ticket(), "s", 1.0, reply, company=0)
    assert window.limit == 3
    other_stage = ChatResult(text="Yes", usage=Usage(completion_tokens=1))
    window.landed(window.ticket(), "classify", 0.5, other_stage, company=2)
    assert window.limit == 3  # paces are compared within a stage only


def test_the_timeout_is_a_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDBED_TIMEOUT", raising=False)
    assert BackendConfig().timeout == 60
    monkeypatch.setenv("SEEDBED_TIMEOUT", "240")
    config = BackendConfig(kind="openai", model="m", base_url="http://127.0.0.1:9/v1")
    assert config.timeout == 240
    assert make_backend(config).timeout == 240
    monkeypatch.setenv("SEEDBED_TIMEOUT", "soon")
    with pytest.raises(InputError, match="SEEDBED_TIMEOUT"):
        BackendConfig()
