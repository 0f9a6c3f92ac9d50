"""A fake chat backend with canned replies, for tests that need no real model."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from seedbed.errors import BackendError
from seedbed.llm.base import ChatBackend, ChatResult, ResultCallback
from seedbed.models import GenerationParams, Message, Usage


class FakeBackend(ChatBackend):
    """Answers from a queue of canned replies (`enqueue`), else from `reply(messages)`.

    A queued `Exception` instance is raised as-is; a queued `None` comes back as a
    failed request. Every call is recorded in `calls` as (messages, params).
    """

    name = "fake"
    model = "fake-model"

    def __init__(self, reply: Callable[[Sequence[Message]], str] | None = None) -> None:
        self.queue: deque[str | None | Exception] = deque()
        self.reply = reply or (lambda messages: "A canned reply.")
        self.calls: list[tuple[list[Message], GenerationParams]] = []

    def enqueue(self, *replies: str | None | Exception) -> FakeBackend:
        self.queue.extend(replies)
        return self

    def describe(self) -> str:
        return "Fake backend for tests."

    def generate(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None = None,
    ) -> list[ChatResult]:
        results = []
        for index, messages in enumerate(requests):
            self.calls.append((list(messages), params))
            reply = self.queue.popleft() if self.queue else self.reply(messages)
            if isinstance(reply, Exception):
                raise reply
            if reply is None:
                result = ChatResult(model=self.model, error="fake failure")
            else:
                result = ChatResult(
                    text=reply, model=self.model, usage=Usage(prompt_tokens=10, completion_tokens=5)
                )
            results.append(result)
            if on_result:
                on_result(index, result)
        return results


__all__ = ["BackendError", "FakeBackend"]
