"""OpenAIBackend through the real openai client against a local fake server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from seedbed.errors import BackendError
from seedbed.llm.base import ChatResult
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.models import GenerationParams, Message
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer

KEY = "sk-test-secret-1234567890"
MODEL = "fake-model"


def echo(messages: ChatMessages) -> str:
    return f"echo: {messages[-1]['content']}"


def ask(*texts: str) -> list[list[Message]]:
    return [[Message(role="user", content=text)] for text in texts]


def backend_for(server: FakeOpenAIServer, **kwargs: object) -> OpenAIBackend:
    options: dict[str, object] = {"api_key": KEY, "base_url": server.base_url, "max_retries": 0}
    options.update(kwargs)
    return OpenAIBackend(MODEL, **options)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply=echo, api_key=KEY, models=[MODEL]) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_success_keeps_order_and_records_usage(server: FakeOpenAIServer) -> None:
    params = GenerationParams(temperature=0.3, max_tokens=50, stop=["###"])
    results = backend_for(server).generate(ask("one", "two two", "three"), params)

    assert [r.text for r in results] == ["echo: one", "echo: two two", "echo: three"]
    assert all(r.error is None and r.model == MODEL for r in results)
    assert results[1].usage.prompt_tokens == 2
    assert results[1].usage.completion_tokens == 3
    body = server.chat_requests[0].body or {}
    assert body["temperature"] == 0.3 and body["max_tokens"] == 50 and body["stop"] == ["###"]


def test_empty_stop_is_omitted_and_reply_model_recorded() -> None:
    with FakeOpenAIServer(reply=echo, reply_model="fake-model-2024", include_usage=False) as fake:
        [result] = backend_for(fake).generate(ask("hi"), GenerationParams())
        assert "stop" not in (fake.chat_requests[0].body or {})
    assert result.model == "fake-model-2024"
    assert result.usage.prompt_tokens == 0 and result.usage.completion_tokens == 0


def test_each_result_says_whether_the_reply_ended_or_ran_out_of_tokens(
    server: FakeOpenAIServer,
) -> None:
    params = GenerationParams(max_tokens=4)
    ended, full = backend_for(server).generate(ask("short", "a b c d"), params)
    assert (ended.text, ended.finish_reason) == ("echo: short", "stop")
    assert (full.text, full.finish_reason) == ("echo: a b c d", "length")


def test_concurrency_is_bounded() -> None:
    with FakeOpenAIServer(reply=echo, delay=0.2) as fake:
        results = backend_for(fake, concurrency=2).generate(ask(*"abcdef"), GenerationParams())
        assert fake.max_in_flight == 2
    assert [r.text for r in results] == [f"echo: {c}" for c in "abcdef"]


def test_on_result_called_once_per_request(server: FakeOpenAIServer) -> None:
    seen: list[tuple[int, ChatResult]] = []
    results = backend_for(server).generate(
        ask("a", "b", "c"), GenerationParams(), lambda i, r: seen.append((i, r))
    )
    assert sorted(i for i, _ in seen) == [0, 1, 2]
    assert all(results[i] is r for i, r in seen)


def test_wrong_key_is_fatal_and_never_quoted(server: FakeOpenAIServer) -> None:
    wrong = "sk-wrong-key-0987654321"
    with pytest.raises(BackendError) as info:
        backend_for(server, api_key=wrong).generate(ask("a", "b"), GenerationParams())
    message = str(info.value)
    assert "401" in message and "OPENAI_API_KEY" in message
    assert wrong not in message and wrong[-6:] not in message


def test_unknown_model_is_fatal(server: FakeOpenAIServer) -> None:
    backend = OpenAIBackend("no-such-model", api_key=KEY, base_url=server.base_url)
    with pytest.raises(BackendError, match="Model 'no-such-model' is not available"):
        backend.generate(ask("a"), GenerationParams())


def test_unreachable_server_is_fatal_and_fast() -> None:
    with socket.socket() as sock:  # bind then close: nothing listens on this port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = OpenAIBackend(MODEL, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    started = time.monotonic()
    with pytest.raises(BackendError, match="Could not reach"):
        backend.generate(ask("a", "b"), GenerationParams())
    assert time.monotonic() - started < 5


def test_rate_limit_then_success_is_retried() -> None:
    with FakeOpenAIServer(reply=echo, statuses=[429, 500]) as fake:
        [result] = backend_for(fake, max_retries=3).generate(ask("a"), GenerationParams())
        assert len(fake.chat_requests) == 3
    assert result.error is None and result.text == "echo: a"


def test_persistent_server_error_fails_only_that_request() -> None:
    def status_for(messages: ChatMessages) -> int | None:
        return 500 if messages[-1]["content"] == "boom" else None

    with FakeOpenAIServer(reply=echo, status_for=status_for) as fake:
        results = backend_for(fake, max_retries=2).generate(
            ask("a", "boom", "c"), GenerationParams()
        )
    assert results[1].error is not None and "500" in results[1].error
    assert [results[0].text, results[2].text] == ["echo: a", "echo: c"]


def test_timeout_fails_only_the_slow_request() -> None:
    def delay_for(messages: ChatMessages) -> float:
        return 3.0 if messages[-1]["content"] == "slow" else 0.0

    with FakeOpenAIServer(reply=echo, delay_for=delay_for) as fake:
        results = backend_for(fake, timeout=0.5).generate(ask("a", "slow", "c"), GenerationParams())
    assert results[1].error is not None and "Timed out" in results[1].error
    assert [results[0].text, results[2].text] == ["echo: a", "echo: c"]


def test_empty_or_missing_choices_are_request_errors() -> None:
    with FakeOpenAIServer(replies=["", None, "fine"]) as fake:
        results = backend_for(fake, concurrency=1).generate(ask("a", "b", "c"), GenerationParams())
    assert results[0].error == "The server returned an empty reply."
    assert results[1].error == "The server returned a reply with no choices."
    assert results[2].text == "fine"


def test_list_models_and_its_errors(server: FakeOpenAIServer) -> None:
    assert backend_for(server).list_models() == [MODEL]
    with pytest.raises(BackendError, match="rejected the API key"):
        backend_for(server, api_key="sk-bad").list_models()


def test_key_never_shown(server: FakeOpenAIServer) -> None:
    backend = backend_for(server)
    assert KEY not in repr(backend) and KEY not in backend.describe()
    assert KEY not in str(vars(backend))
    with_creds = OpenAIBackend(MODEL, api_key=KEY, base_url="http://user:pw@host:8000/v1")
    assert "pw" not in repr(with_creds) and "host:8000" in with_creds.describe()


def test_key_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendError, match=r"OPENAI_API_KEY.*sidebar"):
        OpenAIBackend(MODEL)
    OpenAIBackend(MODEL, base_url="http://127.0.0.1:1/v1")  # local server: no key needed
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:2/v1")
    assert OpenAIBackend(MODEL).endpoint == "http://127.0.0.1:2/v1"


def test_no_requests_means_no_traffic(server: FakeOpenAIServer) -> None:
    assert backend_for(server).generate([], GenerationParams()) == []
    assert server.requests == []


def test_fatal_error_stops_the_batch() -> None:
    def status_for(messages: ChatMessages) -> int | None:
        return 401 if messages[-1]["content"] == "b" else None

    seen: list[int] = []
    with FakeOpenAIServer(reply=echo, status_for=status_for) as fake:
        with pytest.raises(BackendError, match="rejected the API key"):
            backend_for(fake, concurrency=1).generate(
                ask(*"abcdef"), GenerationParams(), lambda i, r: seen.append(i)
            )
        assert len(fake.chat_requests) == 2
    assert seen == [0]


def test_a_streamed_reply_arrives_in_pieces_with_its_usage(server: FakeOpenAIServer) -> None:
    pieces: list[str] = []
    params = GenerationParams(max_tokens=50)
    result = backend_for(server).stream(ask("one two three")[0], params, pieces.append)

    assert len(pieces) == 4 and "".join(pieces) == "echo: one two three"
    assert (result.text, result.finish_reason) == ("echo: one two three", "stop")
    assert result.error is None
    assert result.usage.prompt_tokens == 3 and result.usage.completion_tokens == 4
    body = server.chat_requests[0].body or {}
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_a_streamed_reply_reports_running_out_of_tokens_and_fatal_errors(
    server: FakeOpenAIServer,
) -> None:
    result = backend_for(server).stream(ask("a b c d")[0], GenerationParams(max_tokens=4), print)
    assert result.finish_reason == "length"
    with pytest.raises(BackendError, match="rejected the API key"):
        backend_for(server, api_key="sk-wrong").stream(ask("x")[0], GenerationParams(), print)


def test_an_empty_streamed_reply_is_a_request_error() -> None:
    with FakeOpenAIServer(replies=[""]) as fake:
        pieces: list[str] = []
        result = backend_for(fake).stream(ask("x")[0], GenerationParams(), pieces.append)
    assert result.error == "The server returned an empty reply." and not result.text
