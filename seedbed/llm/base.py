"""The one interface every chat backend implements, with each optional capability declared.

A backend must answer chat requests (`generate`). What it may offer beyond that
(streaming a reply as it is written, an async session, a Batch API, extra request
fields) is declared here with a
default meaning "not offered", so callers use these methods and never probe a
backend's attributes or concrete class.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
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
    # Why generation ended: "stop" (the model finished or hit a stop string), "length"
    # (max_tokens), or what the server says; None when the backend cannot tell.
    finish_reason: str | None = None
    # The server was too busy (a timeout, HTTP 429 or 503): a job sends fewer at once.
    overloaded: bool = False
    price_factor: float = 1.0  # of the model's price: 0.5 for a Batch API reply
    node: str = ""  # the Ray node whose sender got the reply; "" when sent in-process


ResultCallback = Callable[[int, ChatResult], None]
# Receives the next piece of a reply as the model writes it (from any thread).
TextCallback = Callable[[str], None]


class Send(Protocol):
    """Answers one request: `await send(messages, params, on_text)`.

    Raises BackendError when no request can succeed, else returns failures as
    results with `error` set. With `on_text`, the reply's pieces go to it as they
    are written (once, whole, where the sender cannot stream).
    """

    def __call__(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        on_text: TextCallback | None = None,
    ) -> Awaitable[ChatResult]: ...


@dataclass(frozen=True)
class BatchRequest:
    """One chat request of a provider batch; its answer comes back under `custom_id`."""

    custom_id: str
    messages: Sequence[Message]
    params: GenerationParams


@dataclass(frozen=True)
class BatchState:
    """A submitted batch as the provider has it now."""

    id: str
    status: str  # the provider's own word (validating, in_progress, completed...)
    ended: bool  # no more answers will come
    output_file_id: str | None = None
    error_file_id: str | None = None
    refusal: str | None = None  # why the provider refused the whole batch, shown to the user


class BatchAPI(ABC):
    """A provider's Batch API opened for one run: upload requests, start, poll, read answers.

    Every call raises BackendError for a failure the user must act on (a refused
    key); seedbed/jobs/batches.py decides what to submit and when.
    """

    endpoint: str  # the server, as shown to users (no credentials)
    model: str
    max_requests: int  # in one batch

    @abstractmethod
    async def available(self) -> bool:
        """True when the server has a Batch API (many OpenAI-compatible ones do not)."""

    @abstractmethod
    async def upload(self, name: str, requests: Sequence[BatchRequest]) -> str:
        """Upload `requests` as a batch input file named `name`; the file's id."""

    @abstractmethod
    async def create(self, file_id: str, metadata: dict[str, str]) -> BatchState:
        """Start a batch over an uploaded input file, tagged with `metadata`."""

    @abstractmethod
    async def look(self, batch_id: str) -> BatchState | None:
        """The batch as the provider has it now; None after a passing failure (look again)."""

    @abstractmethod
    async def find(self, metadata: dict[str, str]) -> str | None:
        """The id of a recent batch whose metadata holds every pair of `metadata`, if any."""

    @abstractmethod
    async def cancel(self, batch_id: str) -> None:
        """Ask the provider to stop a batch (best effort: a failure leaves it running)."""

    @abstractmethod
    async def download(self, file_id: str) -> dict[str, dict[str, Any]]:
        """The lines of an output or error file, by custom_id."""

    @abstractmethod
    def result_of(self, line: dict[str, Any] | None) -> ChatResult | None:
        """The reply a downloaded line holds; None when the batch never ran the request."""


class ChatBackend(ABC):
    """Answers batches of chat requests.

    `generate` returns one ChatResult per request, in order, and calls
    `on_result(index, result)` as soon as each one is ready so callers can
    store it at once. It raises BackendError only for failures that would make
    every request fail; a single failed request comes back with `error` set.
    """

    name: str
    model: str

    @abstractmethod
    def describe(self) -> str:
        """One line for the UI: what this backend is and what it is good for."""

    @abstractmethod
    def generate(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None = None,
    ) -> list[ChatResult]:
        """Answer every request; see the class docstring."""

    # -- optional capabilities, each with its default --

    def stream(
        self, messages: Sequence[Message], params: GenerationParams, on_text: TextCallback
    ) -> ChatResult:
        """Answer one request, passing each piece of the reply to `on_text` as it is written.

        Joined, the pieces are the result's text up to surrounding whitespace (a stop
        string is never shown). Errors
        as in `generate`. Default: the backend cannot stream, so the whole reply
        goes to `on_text` once it is complete (nothing when it failed).
        """
        [result] = self.generate([messages], params)
        if result.text:
            on_text(result.text)
        return result

    def extra_body(self) -> dict[str, Any]:
        """Fields this backend adds to every request (recorded with each candidate).

        Default: none.
        """
        return {}

    def session(self) -> AbstractAsyncContextManager[Send] | None:
        """An async client kept open for many single requests (see `Send`), streaming too.

        Default None: the backend has no async client, and callers with an event
        loop run `generate` on a thread pool instead.
        """
        return None

    def batches(self) -> AbstractAsyncContextManager[BatchAPI] | None:
        """The provider's Batch API, open while the context lasts.

        Default None: the backend has no Batch API, and jobs send every request
        directly. A backend that returns one may still find the server lacks it
        (`BatchAPI.available`).
        """
        return None


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
