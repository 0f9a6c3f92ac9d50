"""The OpenAI backend's Batch API on its own, through the real openai client and the fake server.

seedbed/jobs/batches.py drives it in tests/unit/jobs/test_batches.py; here each
call is checked: the lines it uploads, the states it reports, the replies it reads.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seedbed.llm.base import BatchAPI, BatchRequest, BatchState, ChatResult, run_sync
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.models import GenerationParams, Message
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer

KEY = "sk-test-secret-1234567890"


def echo(messages: ChatMessages) -> str:
    return f"echo: {messages[-1]['content']}"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply=echo, api_key=KEY) as fake:
        yield fake


def backend_for(server: FakeOpenAIServer) -> OpenAIBackend:
    return OpenAIBackend(
        "fake-model", api_key=KEY, base_url=server.base_url, max_retries=0, extra_body={"top_k": 7}
    )


def ask(custom_id: str, text: str, max_tokens: int = 256) -> BatchRequest:
    params = GenerationParams(max_tokens=max_tokens)
    return BatchRequest(custom_id, [Message(role="user", content=text)], params)


def test_a_batch_goes_up_runs_and_its_replies_are_read_at_half_price(
    server: FakeOpenAIServer,
) -> None:
    async def round_trip() -> tuple[BatchState, BatchState, dict[str, ChatResult | None]]:
        async with backend_for(server).batches() as api:
            assert await api.available()
            file_id = await api.upload("in.jsonl", [ask("1", "one"), ask("2", "a b c d", 3)])
            started = await api.create(file_id, {"seedbed_batch": "9"})
            ended = await api.look(started.id)
            assert ended is not None and ended.output_file_id is not None
            lines = await api.download(ended.output_file_id)
            return started, ended, {key: api.result_of(line) for key, line in lines.items()}

    started, ended, results = run_sync(round_trip())

    assert (started.status, started.ended) == ("validating", False)
    assert (ended.status, ended.ended, ended.refusal) == ("completed", True, None)
    [sent] = server.batch_api.batches
    bodies = [line["body"] for line in server.batch_api.input_lines(sent)]
    assert [b["messages"][0]["content"] for b in bodies] == ["one", "a b c d"]
    assert all(b["model"] == "fake-model" and b["top_k"] == 7 for b in bodies)
    one, cut = results["1"], results["2"]
    assert one is not None and cut is not None
    assert (one.text, one.finish_reason, one.price_factor) == ("echo: one", "stop", 0.5)
    assert (cut.text, cut.finish_reason) == ("echo: a b c d", "length")


def test_a_refused_batch_says_why_and_a_server_without_batches_is_told_apart(
    server: FakeOpenAIServer,
) -> None:
    server.batch_api.refuse = "fake-model is not available for batches."

    async def refused() -> BatchState | None:
        async with backend_for(server).batches() as api:
            started = await api.create(await api.upload("in.jsonl", [ask("1", "x")]), {})
            return await api.look(started.id)

    state = run_sync(refused())
    assert state is not None and state.ended
    assert state.refusal == (
        f"The provider refused batch {state.id}: fake-model is not available for batches."
    )
    with FakeOpenAIServer(reply=echo, batch_api=False) as bare:

        async def offered() -> bool:
            async with backend_for(bare).batches() as api:
                return await api.available()

        assert run_sync(offered()) is False


def test_a_batch_is_found_by_its_metadata(server: FakeOpenAIServer) -> None:
    async def submit_and_find() -> tuple[str, str | None, str | None]:
        async with backend_for(server).batches() as api:
            file_id = await api.upload("in.jsonl", [ask("1", "x")])
            batch = await api.create(file_id, {"seedbed_job": "3", "seedbed_batch": "9"})
            found = await api.find({"seedbed_batch": "9"})
            return batch.id, found, await api.find({"seedbed_batch": "10"})

    batch_id, found, missing = run_sync(submit_and_find())
    assert (found, missing) == (batch_id, None)


def test_lines_that_failed_are_explained_without_the_key_and_unrun_ones_are_none(
    server: FakeOpenAIServer,
) -> None:
    async def read(lines: list[dict | None]) -> list[ChatResult | None]:
        async with backend_for(server).batches() as api:
            assert isinstance(api, BatchAPI)
            return [api.result_of(line) for line in lines]

    leaked = {"error": {"code": "invalid_request", "message": f"Bad key {KEY}."}}
    failed = {"response": {"status_code": 500, "body": {"error": {"message": "Overloaded."}}}}
    expired = {"error": {"code": "batch_expired", "message": "Not run in time."}}
    garbled = {"response": {"status_code": 200, "body": {"choices": "none"}}}
    bad_key, server_error, unrun, missing, not_a_completion = run_sync(
        read([leaked, failed, expired, None, garbled])
    )
    assert bad_key is not None and bad_key.error == "Batch API: Bad key ***."
    assert server_error is not None and server_error.error == "HTTP 500 in the batch: Overloaded."
    assert unrun is None and missing is None  # sent again in the next batch
    assert not_a_completion is not None and not_a_completion.error is not None
    assert not_a_completion.error.startswith("The reply was not a chat completion")
