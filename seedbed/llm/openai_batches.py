"""An OpenAI-compatible Batch API, each failure turned into a BackendError.

Request lines go out as JSONL (`custom_id`, `method`, `url`, `body`); the output
and error files come back as lines with the same `custom_id` and either a
`response` (`status_code`, `body`: a chat completion) or an `error`.
OpenAIBackend.batches opens one; seedbed/jobs/batches.py decides what to submit and when.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import openai
from openai import AsyncOpenAI
from openai.types import Batch

from seedbed.llm.base import BatchAPI, BatchRequest, BatchState, ChatResult
from seedbed.llm.openai_chat import chat_body, read_completion

if TYPE_CHECKING:
    from seedbed.llm.openai_backend import OpenAIBackend

ENDPOINT = "/v1/chat/completions"
PRICE_FACTOR = 0.5  # OpenAI bills batch requests at half the price
MAX_REQUESTS = 50_000  # per batch (OpenAI's limit)
ENDED = ("completed", "failed", "expired", "cancelled")
NO_BATCH_API = (404, 405, 501)  # what servers without one answer
UNANSWERED = ("batch_expired", "batch_cancelled")  # line errors: the request never ran
PASSING = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)


class OpenAIBatches(BatchAPI):
    """The Batch API of `backend`'s server, through `client` (closed by the backend)."""

    max_requests = MAX_REQUESTS

    def __init__(self, backend: OpenAIBackend, client: AsyncOpenAI) -> None:
        self.backend, self.client = backend, client
        self.endpoint, self.model = backend.endpoint, backend.model

    async def available(self) -> bool:
        """True when the server has a Batch API; raises BackendError when the key is refused."""
        try:
            await self.client.batches.list(limit=1)
        except openai.APIStatusError as exc:
            if exc.status_code in NO_BATCH_API:
                return False
            raise self.backend.failure(exc) from None
        except openai.OpenAIError as exc:
            raise self.backend.failure(exc) from None
        return True

    async def upload(self, name: str, requests: Sequence[BatchRequest]) -> str:
        """Upload the chat requests as a batch input file; its id."""
        extra = self.backend.extra_body()
        lines = [
            json.dumps(
                {
                    "custom_id": request.custom_id,
                    "method": "POST",
                    "url": ENDPOINT,
                    "body": chat_body(self.model, request.messages, request.params, extra),
                },
                ensure_ascii=False,
            )
            for request in requests
        ]
        data = ("\n".join(lines) + "\n").encode()
        try:
            uploaded = await self.client.files.create(
                file=(name, data, "application/jsonl"), purpose="batch"
            )
        except openai.OpenAIError as exc:
            raise self.backend.failure(exc) from None
        return uploaded.id

    async def create(self, file_id: str, metadata: dict[str, str]) -> BatchState:
        """Start a batch over an uploaded input file, to finish within 24 hours."""
        try:
            batch = await self.client.batches.create(
                input_file_id=file_id, endpoint=ENDPOINT, completion_window="24h", metadata=metadata
            )
        except openai.OpenAIError as exc:
            raise self.backend.failure(exc) from None
        return self._state(batch)

    async def look(self, batch_id: str) -> BatchState | None:
        """The batch as the provider has it now; None after a passing failure (look again)."""
        try:
            return self._state(await self.client.batches.retrieve(batch_id))
        except PASSING:
            return None
        except openai.OpenAIError as exc:
            raise self.backend.failure(exc) from None

    async def find(self, metadata: dict[str, str]) -> str | None:
        """The id of a recent batch (of the last 100) whose metadata holds `metadata`."""
        try:
            page = await self.client.batches.list(limit=100)
        except openai.OpenAIError as exc:
            raise self.backend.failure(exc) from None
        for batch in page.data:
            if (batch.metadata or {}).items() >= metadata.items():
                return batch.id
        return None

    async def cancel(self, batch_id: str) -> None:
        """Ask the provider to stop a batch (best effort: a failure leaves it running)."""
        with contextlib.suppress(openai.OpenAIError):
            await self.client.batches.cancel(batch_id)

    async def download(self, file_id: str) -> dict[str, dict[str, Any]]:
        """The lines of an output or error file, by custom_id."""
        try:
            content = await self.client.files.content(file_id)
        except openai.OpenAIError as exc:
            raise self.backend.failure(exc) from None
        lines = {}
        for text in content.text.splitlines():
            if text.strip():
                line = json.loads(text)
                lines[str(line.get("custom_id"))] = line
        return lines

    def result_of(self, line: dict[str, Any] | None) -> ChatResult | None:
        """The reply an output or error line holds; None when the batch never ran the request."""
        if line is None:
            return None
        scrub = self.backend.scrub
        if error := line.get("error"):
            if error.get("code") in UNANSWERED:
                return None
            message = scrub(str(error.get("message") or error.get("code")))
            return ChatResult(model=self.model, error=f"Batch API: {message}")
        response = line.get("response") or {}
        status, body = response.get("status_code", 200), response.get("body") or {}
        if status != 200:
            message = scrub(str((body.get("error") or {}).get("message") or "no message"))
            return ChatResult(model=self.model, error=f"HTTP {status} in the batch: {message}")
        result = read_completion(body, self.model)
        if result.error:
            result.error = scrub(result.error)
        result.price_factor = PRICE_FACTOR
        return result

    def _state(self, batch: Batch) -> BatchState:
        return BatchState(
            id=batch.id,
            status=batch.status,
            ended=batch.status in ENDED,
            output_file_id=batch.output_file_id,
            error_file_id=batch.error_file_id,
            refusal=self._refusal(batch),
        )

    def _refusal(self, batch: Batch) -> str | None:
        """Why the provider refused the whole batch (status failed), or None."""
        if batch.status != "failed":
            return None
        errors = batch.errors.data if batch.errors and batch.errors.data else []
        why = "; ".join(error.message or error.code or "" for error in errors) or "no reason given"
        return self.backend.scrub(f"The provider refused batch {batch.id}: {why}")
