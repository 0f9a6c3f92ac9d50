"""Chat backend for OpenAI and any OpenAI-compatible server (vLLM, Ollama, LM Studio...).

Requests run concurrently on an asyncio event loop that lives only for the
duration of one `generate` call, so callers (Streamlit scripts, CLI) stay
synchronous. The openai client does the retrying itself: it backs off
exponentially and honours `retry-after` on 429 and 5xx replies.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import openai
from openai import AsyncOpenAI
from pydantic import SecretStr

from seedbed.errors import BackendError
from seedbed.llm.base import (
    BatchAPI,
    ChatBackend,
    ChatResult,
    ResultCallback,
    Send,
    TextCallback,
    run_sync,
)
from seedbed.llm.openai_batches import OpenAIBatches
from seedbed.llm.openai_chat import chat_body, completion_result, reply_result
from seedbed.models import GenerationParams, Message

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (vLLM, Ollama) ignore the key, but the openai client refuses to start without one.
PLACEHOLDER_KEY = "not-needed"

T = TypeVar("T")


class OpenAIBackend(ChatBackend):
    """Sends chat requests to an OpenAI-compatible `/chat/completions` endpoint."""

    name = "openai"

    def __init__(
        self,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 3,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        """Configure the backend; no network traffic happens here.

        `api_key` defaults to $OPENAI_API_KEY and `base_url` to $OPENAI_BASE_URL
        (unset means OpenAI itself). A custom `base_url` without a key gets a
        placeholder key, because local servers usually need none. `extra_body`
        adds fields to every chat request (e.g. vLLM's top_k or min_p).
        """
        if not model.strip():
            raise BackendError("No model name was given. Enter the model to use in the sidebar.")
        if concurrency < 1:
            raise BackendError("Concurrency must be at least 1.")
        self.model = model.strip()
        url = (base_url or os.environ.get("OPENAI_BASE_URL") or "").strip()
        self.base_url: str | None = url or None  # None means OpenAI itself
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self._extra_body = dict(extra_body or {})
        self._api_key = SecretStr(self._resolve_key(api_key))

    def _resolve_key(self, api_key: str | None) -> str:
        key = (api_key or os.environ.get("OPENAI_API_KEY") or "").strip()
        if key:
            return key
        if self.base_url is not None:
            return PLACEHOLDER_KEY
        raise BackendError(
            "No OpenAI API key found. Set the OPENAI_API_KEY environment variable or enter "
            "a key in the sidebar (or set a base URL for a local server that needs no key)."
        )

    @property
    def endpoint(self) -> str:
        """The server URL as shown to users, with any credentials in it removed."""
        return _display_url(self.base_url or DEFAULT_BASE_URL)

    def __repr__(self) -> str:
        # Spelled out so the key can never leak through a default repr or a debugger.
        return (
            f"OpenAIBackend(model={self.model!r}, base_url={self.endpoint!r}, "
            f"concurrency={self.concurrency}, timeout={self.timeout}, "
            f"max_retries={self.max_retries})"
        )

    def describe(self) -> str:
        """One line for the UI: what this backend is and what it is good for."""
        return (
            f"OpenAI-compatible API at {self.endpoint}, model '{self.model}', up to "
            f"{self.concurrency} requests at once. Best for large batches and strong models."
        )

    def generate(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None = None,
    ) -> list[ChatResult]:
        """Answer every request; one ChatResult per request, in order.

        `on_result(index, result)` runs as each reply arrives, on the caller's
        thread. Raises BackendError (and stops the batch) when the key, model or
        server is wrong; other failures come back as results with `error` set.
        """
        if not requests:
            return []
        return run_sync(self._generate_async(requests, params, on_result))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Send]:
        """One client for many single requests: `await send(messages, params)`.

        For callers that run their own event loop and queue (the job engine);
        `send` raises BackendError like `generate` and returns other failures
        as results with `error` set.
        """
        client = self._make_client()
        try:

            async def send(
                messages: Sequence[Message],
                params: GenerationParams,
                on_text: TextCallback | None = None,
            ) -> ChatResult:
                return await self._complete(client, messages, params, on_text)

            yield send
        finally:
            await client.close()

    def stream(
        self, messages: Sequence[Message], params: GenerationParams, on_text: TextCallback
    ) -> ChatResult:
        """One request sent with `stream=True`: each delta goes to `on_text` as it arrives."""
        return run_sync(
            self._with_client(lambda client: self._complete(client, messages, params, on_text))
        )

    def extra_body(self) -> dict[str, Any]:
        """The extra fields sent with every chat request (e.g. vLLM's top_k)."""
        return dict(self._extra_body)

    @asynccontextmanager
    async def batches(self) -> AsyncIterator[BatchAPI]:
        """The server's Batch API on one client, closed on exit (seedbed/llm/openai_batches.py)."""
        client = self._make_client()
        try:
            yield OpenAIBatches(self, client)
        finally:
            await client.close()

    def failure(self, exc: openai.OpenAIError) -> BackendError:
        """`exc` as a BackendError for the user, without the key."""
        return self._fatal_error(exc) or BackendError(self.scrub(self._request_error(exc)))

    def scrub(self, text: str) -> str:
        """`text` with the API key removed, safe to show and store."""
        return self._scrub(text)

    def list_models(self) -> list[str]:
        """The model ids the server offers, sorted; raises BackendError on any failure."""
        return run_sync(self._with_client(self._list_models_async))

    # --- async internals -------------------------------------------------------------

    def _make_client(self) -> AsyncOpenAI:
        # Created inside the running loop: the client's connection pool binds to it.
        return AsyncOpenAI(
            api_key=self._api_key.get_secret_value(),
            base_url=self.base_url or DEFAULT_BASE_URL,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )

    async def _with_client(self, work: Callable[[AsyncOpenAI], Awaitable[T]]) -> T:
        client = self._make_client()
        try:
            return await work(client)
        finally:
            await client.close()

    async def _list_models_async(self, client: AsyncOpenAI) -> list[str]:
        try:
            page = await client.models.list()
            return sorted(model.id for model in page.data)
        except openai.OpenAIError as exc:
            # A single probe request: every failure is something the user must see.
            fatal = self._fatal_error(exc)
            raise fatal or BackendError(self._scrub(self._request_error(exc))) from None

    async def _generate_async(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None,
    ) -> list[ChatResult]:
        async def run(client: AsyncOpenAI) -> list[ChatResult]:
            semaphore = asyncio.Semaphore(self.concurrency)

            async def one(index: int, messages: Sequence[Message]) -> tuple[int, ChatResult]:
                async with semaphore:
                    return index, await self._complete(client, messages, params)

            tasks = [asyncio.create_task(one(i, msgs)) for i, msgs in enumerate(requests)]
            return await _collect(tasks, on_result)

        return await self._with_client(run)

    async def _complete(
        self,
        client: AsyncOpenAI,
        messages: Sequence[Message],
        params: GenerationParams,
        on_text: TextCallback | None = None,
    ) -> ChatResult:
        """One chat request (streamed to `on_text` if given).

        Fatal errors raise; every other failure becomes the result's `error`.
        """
        kwargs = chat_body(self.model, messages, params, self._extra_body)
        # Passed apart: the openai client's create() accepts only the fields it knows.
        extra = {name: kwargs.pop(name) for name in self._extra_body}
        try:
            if on_text is not None:
                return await self._streamed(client, kwargs, extra, on_text)
            response = await client.chat.completions.create(**kwargs, extra_body=extra or None)
        except openai.OpenAIError as exc:
            fatal = self._fatal_error(exc)
            if fatal is not None:
                raise fatal from None
            busy = isinstance(exc, openai.APITimeoutError | openai.RateLimitError) or (
                isinstance(exc, openai.APIStatusError) and exc.status_code in (503, 529)
            )
            error = self._scrub(self._request_error(exc))
            return ChatResult(model=self.model, error=error, overloaded=busy)
        except ValueError as exc:  # a 200 whose body is not JSON (JSONDecodeError)
            error = f"The server's reply was not valid JSON ({exc})."
            return ChatResult(model=self.model, error=self._scrub(error))
        return completion_result(response, self.model)

    async def _streamed(
        self,
        client: AsyncOpenAI,
        kwargs: dict[str, Any],
        extra: dict[str, Any],
        on_text: TextCallback,
    ) -> ChatResult:
        """Read a streamed reply (server-sent events), passing each delta on as it arrives."""
        chunks = await client.chat.completions.create(
            **kwargs,
            stream=True,
            # Without it a stream carries no token counts, and the estimate needs them.
            stream_options={"include_usage": True},
            extra_body=extra or None,
        )
        pieces: list[str] = []
        model, usage, finish_reason = self.model, None, None
        async for chunk in chunks:
            model = chunk.model or model
            usage = chunk.usage or usage
            if chunk.choices:
                choice = chunk.choices[0]
                finish_reason = choice.finish_reason or finish_reason
                if choice.delta.content:
                    pieces.append(choice.delta.content)
                    on_text(choice.delta.content)
        return reply_result("".join(pieces), model=model, usage=usage, finish_reason=finish_reason)

    # --- error mapping ---------------------------------------------------------------

    def _fatal_error(self, exc: openai.OpenAIError) -> BackendError | None:
        """A BackendError when `exc` would make every request fail, else None."""
        where = self.endpoint
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            # Never echo the server's message: OpenAI's 401 text quotes part of the key.
            return BackendError(
                f"The server at {where} rejected the API key (HTTP {exc.status_code}). "
                "Check OPENAI_API_KEY or the key in the sidebar."
            )
        if isinstance(exc, openai.NotFoundError):
            if exc.code == "model_not_found" or "model" in str(exc.message).lower():
                return BackendError(
                    f"Model '{self.model}' is not available on {where}. "
                    "Use 'Test connection' to list the models it offers."
                )
            return BackendError(
                f"{where} answered 'not found' (HTTP 404). Check the base URL "
                "(for most servers it ends in /v1)."
            )
        if isinstance(exc, openai.RateLimitError) and exc.code == "insufficient_quota":
            return BackendError(
                f"The account behind this API key has no quota left on {where} "
                "(HTTP 429 insufficient_quota). Check billing or use another key."
            )
        if isinstance(exc, openai.APIConnectionError) and _never_connected(exc):
            cause = f" ({exc.__cause__})" if exc.__cause__ else ""
            return BackendError(
                self._scrub(
                    f"Could not reach {where}{cause}. Is the server running and the base URL right?"
                )
            )
        return None

    def _request_error(self, exc: openai.OpenAIError) -> str:
        """A short description of a failure that affects only one request."""
        retries = f"after {self.max_retries} retries" if self.max_retries else "without retrying"
        if isinstance(exc, openai.APITimeoutError):
            return f"Timed out: no reply within {self.timeout:g} s ({retries})."
        if isinstance(exc, openai.APIConnectionError):
            return f"The connection broke before a reply ({retries}): {exc.__cause__ or exc}"
        if isinstance(exc, openai.RateLimitError):
            return f"Rate limited (HTTP 429) {retries}: {exc.message}"
        if isinstance(exc, openai.APIStatusError):
            return f"HTTP {exc.status_code} {retries}: {exc.message}"
        return f"{type(exc).__name__}: {exc}"

    def _scrub(self, text: str) -> str:
        """Remove the API key from any text that might reach the user."""
        key = self._api_key.get_secret_value()
        return text.replace(key, "***") if key and key != PLACEHOLDER_KEY else text


async def _collect(
    tasks: list[asyncio.Task[tuple[int, ChatResult]]], on_result: ResultCallback | None
) -> list[ChatResult]:
    """Gather results in completion order, reporting each; cancel the rest on failure."""
    results: list[ChatResult | None] = [None] * len(tasks)
    try:
        for next_done in asyncio.as_completed(tasks):
            index, result = await next_done
            results[index] = result
            if on_result is not None:
                on_result(index, result)
    finally:
        # Reached early only when a fatal error (or on_result) raised: stop the batch.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return [result for result in results if result is not None]


def _never_connected(exc: openai.APIConnectionError) -> bool:
    """True when the server could not be reached at all (refused, unknown host).

    A connection the server dropped mid-request fails only that request.
    """
    if isinstance(exc, openai.APITimeoutError):
        return False
    return exc.__cause__ is None or type(exc.__cause__).__name__ == "ConnectError"


def _display_url(url: str) -> str:
    """`url` without user:password, so it is safe to show and log."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))
