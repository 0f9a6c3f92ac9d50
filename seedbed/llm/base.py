"""The one interface every chat backend implements."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from seedbed.models import GenerationParams, Message, Usage


@dataclass
class ChatResult:
    """The reply to one request; `error` is set (and `text` empty) when it failed."""

    text: str = ""
    model: str = ""
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    price_factor: float = 1.0  # of the model's price: 0.5 for a Batch API reply


ResultCallback = Callable[[int, ChatResult], None]


class ChatBackend(Protocol):
    """Answers batches of chat requests.

    `generate` returns one ChatResult per request, in order, and calls
    `on_result(index, result)` as soon as each one is ready so callers can
    store it at once. It raises BackendError only for failures that would make
    every request fail; a single failed request comes back with `error` set.
    """

    name: str
    model: str

    def describe(self) -> str:
        """One line for the UI: what this backend is and what it is good for."""
        ...

    def generate(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None = None,
    ) -> list[ChatResult]: ...


T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` from synchronous code.

    `asyncio.run` refuses to start inside a running loop (Jupyter, async test
    runners); there the coroutine runs on a short-lived worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
