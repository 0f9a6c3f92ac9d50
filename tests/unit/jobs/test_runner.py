"""The generation engine with a small two-stage method: jobs end with every result stored.

"Ideas" requests are planned; each idea in a reply becomes a "write" request;
each written reply becomes one candidate. The real methods have their own tests.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from seedbed.errors import BackendError, JobError
from seedbed.jobs import engine, pricing, runner
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.pricing import Price
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.methods.base import Request
from seedbed.models import (
    Candidate,
    CandidateFilter,
    Message,
    Project,
)
from seedbed.store.core import Store
from tests.engine_fakes import WRITE_PARAMS, TwoStage, answer, ask, story_project
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer
from tests.fakes import FakeBackend


@pytest.fixture
def project(store: Store) -> Project:
    return story_project(store, "Engine")


def settings(n: int = 4, **changes: object) -> JobSettings:
    return JobSettings(method="two_stage", n=n, **changes)


def run(store: Store, project: Project, backend: FakeBackend, **changes: object):
    job_id = runner.start_job(store, project, settings(**changes))
    return runner.run_job(store, job_id, backend_factory=lambda config, key: backend)


def job_candidates(store: Store, project: Project, job_id: int) -> list[Candidate]:
    return list(store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id])))


def assert_no_request_answered_twice(store: Store, project: Project, job_id: int) -> None:
    sources = [c.lineage["job_request_id"] for c in job_candidates(store, project, job_id)]
    assert len(sources) == len(set(sources))


# -- a job from start to end -----------------------------------------------------------


def test_a_job_stores_each_draft_with_its_prompt_model_and_lineage(
    store: Store, project: Project, method: TwoStage
) -> None:
    backend = FakeBackend(answer)
    seen = []
    job_id = runner.start_job(store, project, settings(n=4))
    job = runner.run_job(
        store, job_id, backend_factory=lambda config, key: backend, on_progress=seen.append
    )

    assert (job.status, job.message, job.rounds) == (JobStatus.DONE, None, 1)
    candidates = job_candidates(store, project, job_id)
    assert len(candidates) == 4
    assert len(backend.calls) == 2 + 4  # two ideas requests, four write requests
    for candidate in candidates:
        idea = candidate.lineage["idea"]
        assert candidate.prompt == ask(f"Write about {idea}")
        assert candidate.content["text"].endswith(f"about {idea}")
        assert candidate.status == "pending" and candidate.method == "two_stage"
        assert candidate.model == "fake-model" and candidate.job_id == job_id
        assert candidate.params == {
            "temperature": 0.0,
            "top_p": 0.9,
            "max_tokens": 40,
            "presence_penalty": 0.0,
            "backend": "fake",
        }
        assert (candidate.usage.prompt_tokens, candidate.usage.completion_tokens) == (10, 5)
    assert_no_request_answered_twice(store, project, job_id)
    # Each request was sent with its own stage's parameters.
    assert sorted(params.max_tokens for _, params in backend.calls) == [40] * 4 + [60] * 2
    progress = job_requests.job_progress(store, job)
    assert (progress.stored, progress.done, progress.failed, progress.pending) == (4, 6, 0, 0)
    assert progress.tokens == 15 * 6
    assert seen[-1].stored == 4 and seen[-1].done == 6


def test_the_preview_shows_the_first_request_the_job_sends(
    store: Store, project: Project, method: TwoStage
) -> None:
    chosen = settings(n=6, seed=42)
    preview, reason = runner.preview_requests(store, project, chosen)
    assert reason is None and len(preview) == 3
    assert runner.preview_requests(store, project, chosen)[0] == preview  # deterministic
    assert runner.preview_requests(store, project, settings(n=6, seed=43))[0] != preview

    sent = FakeBackend(answer)
    job_id = runner.start_job(store, project, chosen.model_copy(update={"concurrency": 1}))
    runner.run_job(store, job_id, backend_factory=lambda config, key: sent)
    assert sent.calls[0][0] == preview[0].messages


def test_a_method_that_cannot_run_says_why(store: Store, method: TwoStage) -> None:
    empty = store.get_project(store.create_project(Project(name="Empty")))
    with pytest.raises(JobError, match="needs a seed task"):
        runner.start_job(store, empty, settings())
    assert runner.preview_requests(store, empty, settings()) == (
        [],
        "Two stages needs a seed task.",
    )
    with pytest.raises(JobError, match="Unknown method 'nope'"):
        runner.start_job(store, empty, JobSettings(method="nope", n=1))


def test_a_job_sends_only_the_requests_its_candidates_need(
    store: Store, project: Project, method: TwoStage
) -> None:
    # Each ideas reply brings five ideas; n=3 needs three of them written.
    backend = FakeBackend(
        lambda m: "a\nb\nc\nd\ne" if m[-1].content.startswith("Ideas") else "Written text."
    )
    job = run(store, project, backend, n=3, concurrency=1)
    assert job.status == JobStatus.DONE
    assert len(job_candidates(store, project, job.id)) == 3
    # Follow-ups go first, and no more are in flight than candidates are missing:
    # one ideas request and three write requests; the others were never sent.
    assert len(backend.calls) == 1 + 3
    progress = job_requests.job_progress(store, job)
    assert (progress.requests, progress.done, progress.pending) == (2 + 5, 4, 0)


def test_drafts_beyond_n_are_not_stored_and_that_is_noted(
    store: Store, project: Project, method: TwoStage
) -> None:
    backend = FakeBackend(
        lambda m: "idea" if m[-1].content.startswith("Ideas") else "one||two||three||four"
    )
    job = run(store, project, backend, n=3)
    assert [c.content["text"] for c in job_candidates(store, project, job.id)] == [
        "one",
        "two",
        "three",
    ]
    notes = [row.note for row in _answered(store, job.id)]
    assert "1 further draft not stored: the job had its 3." in notes


# -- failures --------------------------------------------------------------------------


def test_a_failed_request_is_explained_and_another_round_makes_up_for_it(
    store: Store, project: Project, method: TwoStage
) -> None:
    def flaky(messages: Sequence[Message]) -> str | None:
        if messages[-1].content == "Write about idea-broken":
            return None  # FakeBackend: a failed request
        if messages[-1].content.startswith("Ideas") and not method.plans[1:]:
            return "idea-broken\nidea-fine"
        return answer(messages)

    job = run(store, project, FakeBackend(flaky), n=2)  # type: ignore[arg-type]

    assert job.status == JobStatus.DONE
    assert method.plans == [2, 1]  # the second round asks for the one missing candidate
    assert len(job_candidates(store, project, job.id)) == 2
    [failed] = job_requests.failed_requests(store, job.id)
    assert failed.request.context["idea"] == "idea-broken"
    assert failed.error == "fake failure"


def test_an_unreadable_reply_is_a_failed_request_with_the_methods_reason(
    store: Store, project: Project, method: TwoStage
) -> None:
    backend = FakeBackend(lambda m: "   " if m[-1].content.startswith("Ideas") else "x")
    job = run(store, project, backend, n=2)
    # Nothing came of two rounds in a row, so the job stops instead of asking again and
    # again; and as every request failed, it failed.
    assert job.status == JobStatus.FAILED
    assert job.message.startswith(
        "Every request failed (2), so nothing was generated. 0 of 2 candidates: stopped after "
        "2 rounds in a row yielded nothing. No candidate came from rounds 1 and 2. Fix the cause"
    )
    assert [r.error for r in job_requests.failed_requests(store, job.id)] == [
        "The reply held no idea."
    ] * 2
    assert method.plans == [2, 2]


def test_rounds_are_bounded(store: Store, project: Project, method: TwoStage) -> None:
    # Every round brings one candidate: one idea per reply, and n asks for more.
    backend = FakeBackend(
        lambda m: "one idea" if m[-1].content.startswith("Ideas") else "Some text to keep."
    )
    job = run(store, project, backend, n=20, max_rounds=3, concurrency=1)
    assert (job.status, job.rounds) == (JobStatus.DONE, 3)
    assert (
        job.message == f"{len(job_candidates(store, project, job.id))} of 20 candidates: "
        "after 3 rounds (the job's limit)."
    )
    assert method.plans[0] == 20 and len(method.plans) == 3


def test_a_method_can_hold_a_job_to_fewer_rounds(
    store: Store, project: Project, method: TwoStage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Self-Instruct over a fixed task list says 1: another round would repeat the list.
    monkeypatch.setattr(method, "max_rounds", lambda context: 1, raising=False)
    backend = FakeBackend(
        lambda m: "one idea" if m[-1].content.startswith("Ideas") else "Some text to keep."
    )
    job = run(store, project, backend, n=20, max_rounds=3, concurrency=1)
    assert (job.status, job.rounds, len(method.plans)) == (JobStatus.DONE, 1, 1)


def test_a_wrong_key_fails_the_job_keeps_what_was_stored_and_a_resume_finishes(
    store: Store, project: Project, method: TwoStage
) -> None:
    broken = FakeBackend(answer).enqueue(
        "idea 1\nidea 2", "Text one.", BackendError("The server rejected the API key (HTTP 401).")
    )
    job_id = runner.start_job(store, project, settings(n=4, concurrency=1))
    job = runner.run_job(store, job_id, backend_factory=lambda config, key: broken)

    assert (job.status, job.message) == (
        JobStatus.FAILED,
        "The server rejected the API key (HTTP 401).",
    )
    assert [c.content["text"] for c in job_candidates(store, project, job_id)] == ["Text one."]
    assert job_requests.failed_requests(store, job_id) == []  # nothing blamed on a request

    job = runner.run_job(store, job_id, backend_factory=lambda config, key: FakeBackend(answer))
    assert job.status == JobStatus.DONE
    assert len(job_candidates(store, project, job_id)) == 4
    assert_no_request_answered_twice(store, project, job_id)
    with pytest.raises(JobError, match="already done"):
        runner.run_job(store, job_id)


def test_a_backend_that_cannot_be_built_fails_the_job_with_its_message(
    store: Store, project: Project, method: TwoStage
) -> None:
    job_id = runner.start_job(
        store, project, settings(backend=BackendConfig(kind="openai", model=" "))
    )
    job = runner.run_job(store, job_id)
    assert job.status == JobStatus.FAILED
    assert "Enter a model name" in job.message


def test_a_crash_while_storing_loses_nothing_and_repeats_nothing(
    store: Store, project: Project, method: TwoStage, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = job_requests.complete_request
    calls = []

    def crash_on_the_fourth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise OSError("the disk went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(job_requests, "complete_request", crash_on_the_fourth)
    job_id = runner.start_job(store, project, settings(n=6, concurrency=1))
    with pytest.raises(OSError):
        runner.run_job(store, job_id, backend_factory=lambda config, key: FakeBackend(answer))
    job = jobs.get_job(store, job_id)
    assert job.status == JobStatus.FAILED and "the disk went away" in job.message
    before = len(job_candidates(store, project, job_id))

    monkeypatch.setattr(job_requests, "complete_request", real)
    job = runner.run_job(store, job_id, backend_factory=lambda config, key: FakeBackend(answer))

    assert job.status == JobStatus.DONE and before < 6
    assert len(job_candidates(store, project, job_id)) == 6
    assert_no_request_answered_twice(store, project, job_id)


# -- budget, cancel, stages -------------------------------------------------------------


def test_a_token_budget_stops_the_job_before_it_would_pass_the_cap(
    store: Store, project: Project, method: TwoStage
) -> None:
    # An ideas request may use 60 completion tokens plus its prompt (~10): about 70.
    backend = FakeBackend(answer)
    job = run(store, project, backend, n=10, concurrency=1, budget_tokens=120)

    assert job.status == JobStatus.STOPPED
    assert job.message.startswith("Stopped before passing the budget of 120 tokens: ")
    progress = job_requests.job_progress(store, job)
    assert progress.tokens <= 120
    # FakeBackend bills 15 tokens a call, while the reserve is the worst case: the
    # engine sent what fitted under the worst case, then stopped before the next.
    assert progress.stored >= 1 and progress.pending > 0


def test_a_money_budget_uses_the_price_table(
    store: Store, project: Project, method: TwoStage
) -> None:
    pricing.save_prices(
        store, [Price(model="fake-model", prompt_usd_per_mtok=1000, completion_usd_per_mtok=1000)]
    )
    job = run(store, project, FakeBackend(answer), n=10, concurrency=1, budget_usd=0.2)
    assert job.status == JobStatus.STOPPED and "$0.2000" in job.message
    progress = job_requests.job_progress(store, job)
    assert 0 < progress.cost_usd <= 0.2
    assert progress.cost_usd == pytest.approx(progress.tokens * 1000 / 1_000_000)

    pricing.save_prices(store, [])
    job = run(store, project, FakeBackend(answer), n=2, budget_usd=1.0)
    assert (job.status, job.message) == (
        JobStatus.FAILED,
        "No price for model 'fake-model': add it to the price table or use a token budget.",
    )


def test_cancel_stops_sending_and_a_resume_goes_on(
    store: Store, project: Project, method: TwoStage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "HEARTBEAT_SECONDS", 0.0)
    job_id = runner.start_job(store, project, settings(n=8, concurrency=1))

    def cancel_after_two(progress) -> None:
        if progress.stored == 2:
            jobs.cancel_job(store, job_id)

    job = runner.run_job(
        store,
        job_id,
        backend_factory=lambda config, key: FakeBackend(answer),
        on_progress=cancel_after_two,
    )
    assert job.status == JobStatus.CANCELLED
    assert len(job_candidates(store, project, job_id)) == 2

    job = runner.run_job(store, job_id, backend_factory=lambda config, key: FakeBackend(answer))
    assert job.status == JobStatus.DONE
    assert len(job_candidates(store, project, job_id)) == 8
    assert_no_request_answered_twice(store, project, job_id)


def test_an_interrupted_run_is_cancelled_not_failed_and_resumes(
    store: Store, project: Project, method: TwoStage
) -> None:
    job_id = runner.start_job(store, project, settings(n=4, concurrency=1))

    def interrupt(progress) -> None:
        if progress.stored == 1:
            raise KeyboardInterrupt  # Ctrl-C, or Streamlit stopping a script mid-preview

    with pytest.raises(KeyboardInterrupt):
        runner.run_job(
            store,
            job_id,
            backend_factory=lambda config, key: FakeBackend(answer),
            on_progress=interrupt,
        )
    job = jobs.get_job(store, job_id)
    assert (job.status, job.message) == (
        JobStatus.CANCELLED,
        "Interrupted; a resume goes on from here.",
    )
    assert len(job_candidates(store, project, job_id)) == 1
    job = runner.run_job(store, job_id, backend_factory=lambda config, key: FakeBackend(answer))
    assert job.status == JobStatus.DONE and len(job_candidates(store, project, job_id)) == 4


def test_each_stage_uses_its_own_model(store: Store, project: Project, method: TwoStage) -> None:
    backends: dict[str, FakeBackend] = {}

    def make(config: BackendConfig, key: str | None) -> FakeBackend:
        backend = FakeBackend(answer)
        backend.model = config.model
        backends[config.model] = backend
        return backend

    strong = BackendConfig(kind="openai", model="strong")
    job_id = runner.start_job(
        store,
        project,
        settings(
            n=4,
            backend=BackendConfig(kind="openai", model="cheap"),
            stage_backends={"write": strong},
        ),
    )
    runner.run_job(store, job_id, "sk-session-key", backend_factory=make)

    assert len(backends["cheap"].calls) == 2 and len(backends["strong"].calls) == 4
    assert {c.model for c in job_candidates(store, project, job_id)} == {"strong"}
    assert "sk-session-key" not in str(jobs.get_job(store, job_id).model_dump())


def test_a_resume_puts_pending_ideas_back_into_the_novelty_pool(
    store: Store, project: Project, method: TwoStage
) -> None:
    job_id = runner.start_job(store, project, settings(n=2))
    pending = Request(
        key="left/over",
        stage="write",
        messages=ask("Write about a lighthouse keeper"),
        params=WRITE_PARAMS,
        context={"idea": "a lighthouse keeper", "pool_text": "the lighthouse keeper sings"},
    )
    job_requests.add_round(store, job_id, 1, [pending])
    backend = FakeBackend(lambda m: "the lighthouse keeper sings")
    job = runner.run_job(store, job_id, backend_factory=lambda config, key: backend)
    first = min(job_candidates(store, project, job.id), key=lambda c: c.id)
    assert first.checks[0].score == 1.0 and not first.checks[0].passed


# -- processes and threads --------------------------------------------------------------


def test_a_job_of_a_dead_process_is_interrupted_and_resumed_in_the_background(
    store: Store, project: Project, method: TwoStage, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = runner.start_job(store, project, settings(n=2))
    dead = _dead_pid()
    jobs.claim_job(store, job_id, f"{runner.socket.gethostname()}/{dead}/x")
    job = jobs.get_job(store, job_id)
    assert runner.is_interrupted(job)  # its heartbeat is fresh, but its process is gone

    monkeypatch.setattr(
        runner, "run_job", _with_factory(runner.run_job, lambda config, key: FakeBackend(answer))
    )
    assert runner.resume_interrupted(store) == [job_id]
    _wait_until(lambda: jobs.get_job(store, job_id).status == JobStatus.DONE)
    assert len(job_candidates(store, project, job_id)) == 2
    assert not runner.is_interrupted(jobs.get_job(store, job_id))


def test_a_job_live_in_this_process_is_not_started_twice(
    store: Store, project: Project, method: TwoStage
) -> None:
    release = threading.Event()

    def slow(messages: Sequence[Message]) -> str:
        release.wait(5)
        return answer(messages)

    job_id = runner.start_job(store, project, settings(n=2))
    thread = threading.Thread(
        target=runner.run_job,
        args=(store, job_id),
        kwargs={"backend_factory": lambda config, key: FakeBackend(slow)},
    )
    thread.start()
    _wait_until(lambda: runner.running_here(job_id))
    assert not runner.is_interrupted(jobs.get_job(store, job_id))
    with pytest.raises(JobError, match="already running in this process"):
        runner.run_job(store, job_id)
    assert runner.run_in_background(store, job_id) is False
    release.set()
    thread.join(10)
    assert jobs.get_job(store, job_id).status == JobStatus.DONE


def _answered(store: Store, job_id: int):
    from sqlalchemy import select

    from seedbed.store import schema

    with store.engine.connect() as conn:
        table = schema.job_requests
        return conn.execute(select(table).where(table.c.job_id == job_id)).all()


def _with_factory(run_job, factory):
    def run(store, job_id, api_key=None, **kwargs):
        return run_job(store, job_id, api_key, backend_factory=factory, **kwargs)

    return run


def _dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    yield
    for thread in list(runner._threads.values()):
        thread.join(10)


# -- against a real HTTP server that misbehaves -------------------------------------------


def http_backend(server: FakeOpenAIServer, **options: object):
    """A factory for OpenAIBackend against `server` (the real openai client code runs)."""

    def make(config: BackendConfig, key: str | None) -> OpenAIBackend:
        settings = {"api_key": key or "test-key", "base_url": server.base_url} | options
        return OpenAIBackend(config.model or "fake-model", **settings)  # type: ignore[arg-type]

    return make


def run_http(store: Store, project: Project, make, **changes: object):
    job_id = runner.start_job(store, project, settings(**changes))
    return runner.run_job(store, job_id, backend_factory=make)


BAD_IDEAS = ["idea-500", "idea-malformed", "idea-drop", "idea-slow", "idea-429-always"]
GOOD_IDEAS = ["idea-ok-1", "idea-429-once", "idea-ok-2"]


def test_every_good_result_is_stored_and_every_failure_explained(
    store: Store, project: Project, method: TwoStage
) -> None:
    limited_once: set[str] = set()

    def fault(messages: ChatMessages):
        prompt = messages[-1]["content"]
        if prompt == "Write about idea-429-once" and prompt not in limited_once:
            limited_once.add(prompt)
            return 429
        faults = {
            "idea-500": 500,
            "idea-malformed": "malformed",
            "idea-drop": "drop",
            "idea-429-always": 429,
        }
        return faults.get(prompt.removeprefix("Write about "))

    def reply(messages: ChatMessages) -> str:
        prompt = messages[-1]["content"]
        if prompt.startswith("Ideas"):
            return "\n".join(BAD_IDEAS + GOOD_IDEAS)  # the failures are sent first
        return f"A piece about {prompt.removeprefix('Write about ')}."

    with FakeOpenAIServer(
        reply=reply,
        fault_for=fault,
        delay_for=lambda m: 3.0 if m[-1]["content"] == "Write about idea-slow" else 0.0,
    ) as server:
        job = run_http(store, project, http_backend(server, timeout=0.5, max_retries=1), n=3)

    assert (job.status, job.message) == (JobStatus.DONE, None)
    texts = sorted(c.content["text"] for c in job_candidates(store, project, job.id))
    assert texts == sorted(f"A piece about {idea}." for idea in GOOD_IDEAS)
    errors = {
        r.request.context["idea"]: r.error for r in job_requests.failed_requests(store, job.id)
    }
    assert set(errors) == set(BAD_IDEAS)
    assert errors["idea-500"].startswith("HTTP 500 after 1 retries")
    assert errors["idea-malformed"].startswith("The server's reply was not valid JSON")
    assert errors["idea-drop"].startswith("The connection broke before a reply")
    assert errors["idea-slow"] == "Timed out: no reply within 0.5 s (after 1 retries)."
    assert errors["idea-429-always"].startswith("Rate limited (HTTP 429) after 1 retries")


def test_a_429_is_retried_after_the_time_the_server_asks_for(
    store: Store, project: Project, method: TwoStage
) -> None:
    arrivals: list[float] = []

    def fault(messages: ChatMessages):
        arrivals.append(time.monotonic())
        return 429 if len(arrivals) == 1 else None

    with FakeOpenAIServer(fault_for=fault, retry_after_ms=400, reply=lambda m: "idea") as server:
        job = run_http(store, project, http_backend(server, max_retries=2), n=1)

    assert job.status == JobStatus.DONE
    assert arrivals[1] - arrivals[0] >= 0.4
    assert job_requests.failed_requests(store, job.id) == []


def test_concurrency_is_bounded_and_used(store: Store, project: Project, method: TwoStage) -> None:
    def reply(messages: ChatMessages) -> str:
        return "a\nb\nc\nd" if messages[-1]["content"].startswith("Ideas") else "Text."

    with FakeOpenAIServer(reply=reply, delay=0.2) as server:
        job = run_http(store, project, http_backend(server), n=12, concurrency=3)
        assert server.max_in_flight == 3
    assert len(job_candidates(store, project, job.id)) == 12


@pytest.mark.parametrize(
    ("server_options", "backend_options", "message"),
    [
        ({"api_key": "right-key"}, {"api_key": "wrong-key-123"}, "rejected the API key"),
        ({"models": ["real-model"]}, {}, "Model 'fake-model' is not available"),
    ],
)
def test_a_wrong_key_or_model_fails_the_job_with_a_clear_message(
    store: Store,
    project: Project,
    method: TwoStage,
    server_options: dict,
    backend_options: dict,
    message: str,
) -> None:
    with FakeOpenAIServer(**server_options) as server:
        job = run_http(store, project, http_backend(server, **backend_options), n=2)
    assert job.status == JobStatus.FAILED
    assert message in job.message and "wrong-key-123" not in job.message
    assert len(job_requests.pending_requests(store, job.id)) == 1  # kept for a resume


def test_an_unreachable_server_fails_the_job_quickly(
    store: Store, project: Project, method: TwoStage
) -> None:
    with socket.socket() as sock:  # bind then close: nothing listens on this port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def make(config: BackendConfig, key: str | None) -> OpenAIBackend:
        return OpenAIBackend("m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)

    job = run_http(store, project, make, n=2)
    assert job.status == JobStatus.FAILED
    assert job.message.startswith(f"Could not reach http://127.0.0.1:{port}/v1")
