"""The calls to an OpenAI-compatible Batch API, each failure turned into a BackendError.

Request lines go out as JSONL (`custom_id`, `method`, `url`, `body`); the output
and error files come back as lines with the same `custom_id` and either a
`response` (`status_code`, `body`: a chat completion) or an `error`.
seedbed/jobs/batches.py decides what to submit and when.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types import Batch

from seedbed.jobs.state import RequestRecord
from seedbed.llm import ChatResult
from seedbed.llm.openai_backend import OpenAIBackend

ENDPOINT = "/v1/chat/completions"
PRICE_FACTOR = 0.5  # OpenAI bills batch requests at half the price
MAX_REQUESTS = 50_000  # per batch (OpenAI's limit)
ENDED = ("completed", "failed", "expired", "cancelled")
NO_BATCH_API = (404, 405, 501)  # what servers without one answer
UNANSWERED = ("batch_expired", "batch_cancelled")  # line errors: the request never ran
PASSING = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)


async def offers_batches(client: AsyncOpenAI, backend: OpenAIBackend) -> bool:
    """True when the server has a Batch API; raises BackendError when the key is refused."""
    try:
        await client.batches.list(limit=1)
    except openai.APIStatusError as exc:
        if exc.status_code in NO_BATCH_API:
            return False
        raise backend.failure(exc) from None
    except openai.OpenAIError as exc:
        raise backend.failure(exc) from None
    return True


async def upload(
    client: AsyncOpenAI, backend: OpenAIBackend, name: str, records: Sequence[RequestRecord]
) -> str:
    """Upload the records' chat requests as a batch input file; its id."""
    lines = [
        json.dumps(
            {
                "custom_id": str(record.id),
                "method": "POST",
                "url": ENDPOINT,
                "body": backend.chat_body(record.request.messages, record.request.params),
            },
            ensure_ascii=False,
        )
        for record in records
    ]
    data = ("\n".join(lines) + "\n").encode()
    try:
        uploaded = await client.files.create(
            file=(name, data, "application/jsonl"), purpose="batch"
        )
    except openai.OpenAIError as exc:
        raise backend.failure(exc) from None
    return uploaded.id


async def create(
    client: AsyncOpenAI, backend: OpenAIBackend, file_id: str, metadata: dict[str, str]
) -> Batch:
    """Start a batch over an uploaded input file, to finish within 24 hours."""
    try:
        return await client.batches.create(
            input_file_id=file_id, endpoint=ENDPOINT, completion_window="24h", metadata=metadata
        )
    except openai.OpenAIError as exc:
        raise backend.failure(exc) from None


async def look(client: AsyncOpenAI, backend: OpenAIBackend, batch_id: str) -> Batch | None:
    """The batch as the provider has it now; None after a passing failure (look again)."""
    try:
        return await client.batches.retrieve(batch_id)
    except PASSING:
        return None
    except openai.OpenAIError as exc:
        raise backend.failure(exc) from None


async def find(client: AsyncOpenAI, backend: OpenAIBackend, row_id: str) -> str | None:
    """The id of the recent batch whose metadata names Seedbed's batch `row_id`, if any."""
    try:
        page = await client.batches.list(limit=100)
    except openai.OpenAIError as exc:
        raise backend.failure(exc) from None
    for batch in page.data:
        if (batch.metadata or {}).get("seedbed_batch") == row_id:
            return batch.id
    return None


async def cancel(client: AsyncOpenAI, batch_id: str) -> None:
    """Ask the provider to stop a batch (best effort: a failure leaves it running)."""
    with contextlib.suppress(openai.OpenAIError):
        await client.batches.cancel(batch_id)


def refusal(backend: OpenAIBackend, batch: Batch) -> str | None:
    """Why the provider refused the whole batch (status failed), or None."""
    if batch.status != "failed":
        return None
    errors = batch.errors.data if batch.errors and batch.errors.data else []
    why = "; ".join(error.message or error.code or "" for error in errors) or "no reason given"
    return backend.scrub(f"The provider refused batch {batch.id}: {why}")


async def download(
    client: AsyncOpenAI, backend: OpenAIBackend, file_id: str
) -> dict[str, dict[str, Any]]:
    """The lines of an output or error file, by custom_id."""
    try:
        content = await client.files.content(file_id)
    except openai.OpenAIError as exc:
        raise backend.failure(exc) from None
    lines = {}
    for text in content.text.splitlines():
        if text.strip():
            line = json.loads(text)
            lines[str(line.get("custom_id"))] = line
    return lines


def result_of(backend: OpenAIBackend, line: dict[str, Any] | None) -> ChatResult | None:
    """The reply an output or error line holds; None when the batch never ran the request."""
    if line is None:
        return None
    if error := line.get("error"):
        if error.get("code") in UNANSWERED:
            return None
        message = backend.scrub(str(error.get("message") or error.get("code")))
        return ChatResult(model=backend.model, error=f"Batch API: {message}")
    response = line.get("response") or {}
    status, body = response.get("status_code", 200), response.get("body") or {}
    if status != 200:
        message = backend.scrub(str((body.get("error") or {}).get("message") or "no message"))
        return ChatResult(model=backend.model, error=f"HTTP {status} in the batch: {message}")
    result = backend.read_completion(body)
    result.price_factor = PRICE_FACTOR
    return result
