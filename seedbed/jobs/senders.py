"""The backends of one job run, opened once, each answering one request per call.

A backend with a session (ChatBackend.session: the OpenAI-compatible one keeps
one async client, a connection pool, for the whole run) answers through it; one
without (the embedded model, test fakes) answers on a thread pool, streaming through
ChatBackend.stream when asked to. Stages may
use different backends (a cheap model to classify, a strong one for instances);
stages with the same settings share one.

How many requests are in flight adapts to the server (`Window`, AIMD as in TCP):
a llama.cpp server answering one request at a time queues the rest, and a fixed 8
at once would time them out.

Where the senders live is the caller's choice (OpenSenders): `in_process` opens
them here; seedbed/jobs/ray_senders.py opens a pool of actors across a Ray
cluster. The engine sees the same Sender either way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from seedbed.jobs.state import JobSettings
from seedbed.llm import BackendConfig, ChatBackend, ChatResult
from seedbed.llm.base import Send, TextCallback
from seedbed.methods.base import Request
from seedbed.models import GenerationParams, Message

BackendFactory = Callable[[BackendConfig, str | None], ChatBackend]


@dataclass
class Sender:
    """One backend opened for a run: `await send(messages, params, on_text)` answers one request.

    `send` raises BackendError when no request can succeed (wrong key, unknown
    model, unreachable server); any other failure comes back as `error`.
    """

    backend: ChatBackend
    send: Send


# Opens a run's senders with `stack`: (sender by stage, the most requests in flight at once).
OpenSenders = Callable[
    [contextlib.AsyncExitStack, JobSettings, Iterable[str]],
    Awaitable[tuple[dict[str, "Sender"], int]],
]


def in_process(make_backend: BackendFactory, api_key: str | None) -> OpenSenders:
    """Senders in this process, `settings.concurrency` requests in flight at most."""

    async def open_here(
        stack: contextlib.AsyncExitStack, settings: JobSettings, stages: Iterable[str]
    ) -> tuple[dict[str, Sender], int]:
        senders = await open_senders(stack, settings, stages, make_backend, api_key)
        return senders, settings.concurrency

    return open_here


async def open_senders(
    stack: contextlib.AsyncExitStack,
    settings: JobSettings,
    stages: Iterable[str],
    make_backend: BackendFactory,
    api_key: str | None,
) -> dict[str, Sender]:
    """A sender for each stage ("" for a stage the method did not declare), closed with `stack`."""
    opened: dict[str, Sender] = {}
    by_stage: dict[str, Sender] = {}
    for stage in ("", *stages):
        config = settings.backend_for(stage)
        key = config.model_dump_json()
        if key not in opened:
            backend = make_backend(config, api_key)
            opened[key] = await open_sender(stack, backend, settings.concurrency)
        by_stage[stage] = opened[key]
    return by_stage


async def open_sender(
    stack: contextlib.AsyncExitStack, backend: ChatBackend, concurrency: int
) -> Sender:
    session = backend.session()
    if session is not None:  # an async client kept open for the whole run
        return Sender(backend, await stack.enter_async_context(session))
    pool = stack.enter_context(concurrent.futures.ThreadPoolExecutor(concurrency))
    loop = asyncio.get_running_loop()

    async def send(
        messages: Sequence[Message], params: GenerationParams, on_text: TextCallback | None = None
    ) -> ChatResult:
        if on_text is not None:
            return await loop.run_in_executor(pool, backend.stream, messages, params, on_text)
        [result] = await loop.run_in_executor(pool, backend.generate, [messages], params)
        return result

    return Sender(backend, send)


# A reply queued behind others when its time per completion token is above this many
# times the best recent one of its stage (jitter of a busy cloud API stays below).
QUEUE_FACTOR = 2.5
RECENT_REPLIES = 32  # per stage, for the best recent pace


class Window:
    """How many requests a run keeps in flight: additive increase, multiplicative decrease.

    It starts at 1 and grows by one per reply (doubling each round trip) up to
    `ceiling`, the job's concurrency; after the first sign of congestion it grows
    by one per window of replies. A sign of congestion halves it, once per window
    (the requests already sent when it halved do not halve it again). The signs: a
    request failed because the server was overloaded (timeout, HTTP 429 or 503), or
    a reply queued: sent while others were in flight, it took more than
    QUEUE_FACTOR times the best recent time per completion token of its stage.
    """

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.size = 1.0
        self.threshold = float(self.ceiling)  # grow fast until here
        self.sent = 0  # requests sent so far; each one's number is its ticket
        self.calm_until = 0  # replies to tickets up to this one do not halve again
        self.paces: dict[str, deque[float]] = {}

    @property
    def limit(self) -> int:
        """The requests that may be in flight now."""
        return max(1, int(self.size))

    def ticket(self) -> int:
        """Number a request being sent (pass it back to `landed`)."""
        self.sent += 1
        return self.sent

    def landed(
        self, ticket: int, stage: str, seconds: float, result: ChatResult, company: int
    ) -> None:
        """Learn from one reply that took `seconds`, sent with `company` others in flight."""
        queued = False
        if not result.error:
            pace = seconds / max(1, result.usage.completion_tokens)
            recent = self.paces.setdefault(stage, deque(maxlen=RECENT_REPLIES))
            queued = company > 0 and bool(recent) and pace > QUEUE_FACTOR * min(recent)
            recent.append(pace)
        if result.overloaded or queued:
            if ticket > self.calm_until:
                self.size = self.threshold = max(1.0, self.size / 2)
                self.calm_until = self.sent
        elif not result.error:
            step = 1.0 if self.size < self.threshold else 1.0 / self.size
            self.size = min(float(self.ceiling), self.size + step)


def estimate_tokens(request: Request) -> tuple[int, int]:
    """The most (prompt, completion) tokens a request may use.

    The prompt at about 4 characters a token plus a few per message (chat
    formatting); the completion at the request's max_tokens.
    """
    prompt = sum(len(message.content) // 4 + 4 for message in request.messages)
    return prompt, request.params.max_tokens
