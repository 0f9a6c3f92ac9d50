"""The ChatBackend contract: what a backend must do, and the declared defaults of the rest."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from seedbed.llm.base import ChatBackend, ChatResult, ResultCallback
from seedbed.llm.local_backend import LocalBackend
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.models import GenerationParams, Message


class Minimal(ChatBackend):
    """Only what every backend must have."""

    name = "minimal"
    model = "m"

    def describe(self) -> str:
        return "A minimal backend."

    def generate(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None = None,
    ) -> list[ChatResult]:
        return [ChatResult(text="hi", model=self.model) for _ in requests]


def test_a_backend_offers_no_session_no_batches_and_no_extra_fields_unless_it_says_so() -> None:
    for backend in (Minimal(), LocalBackend()):
        assert backend.extra_body() == {}
        assert backend.session() is None  # callers answer on a thread pool
        assert backend.batches() is None  # jobs send every request directly


def test_a_backend_must_describe_itself_and_answer_requests() -> None:
    class Silent(ChatBackend):
        name, model = "silent", "m"

        def describe(self) -> str:
            return "Never answers."

    with pytest.raises(TypeError, match="generate"):
        Silent()  # type: ignore[abstract]


def test_the_openai_backend_declares_a_session_a_batch_api_and_its_extra_fields() -> None:
    backend = OpenAIBackend("m", base_url="http://127.0.0.1:1/v1", extra_body={"top_k": 40})
    assert backend.extra_body() == {"top_k": 40}
    backend.extra_body()["top_k"] = 1  # a copy: callers cannot change what is sent
    assert backend.extra_body() == {"top_k": 40}
    assert backend.session() is not None and backend.batches() is not None


def test_a_backend_that_cannot_stream_hands_over_the_whole_reply_once() -> None:
    pieces: list[str] = []
    messages = [Message(role="user", content="x")]
    result = Minimal().stream(messages, GenerationParams(), pieces.append)
    assert pieces == ["hi"] and result.text == "hi"
