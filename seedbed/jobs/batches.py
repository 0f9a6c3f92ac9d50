"""Large jobs through a provider's Batch API (OpenAI bills it at half the price).

The engine (seedbed/jobs/engine.py) hands each request of such a job to a BatchQueue
instead of sending it. Requests dispatched together go out as one batch per
model: a JSONL file uploaded with purpose "batch", then a batch on
/v1/chat/completions with a 24 h window. The queue polls it, downloads its output
and error files and answers each request from its line, so every reply is stored
by the engine's own per-reply transaction, with the same checks as a direct one.
Follow-up requests that replies create go out in the next batch.

A batch's row (job_batches) is written before it is submitted and holds its
file and batch ids: a restarted run waits for the open batch of a pending request
instead of sending the request again. A server without a Batch API (a 404 on
/v1/batches) gets the requests directly, as any other job. The provider calls
are the backend's (ChatBackend.batches, seedbed/llm/), the rows in seedbed/jobs/batch_rows.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seedbed.errors import BackendError
from seedbed.jobs import batch_rows
from seedbed.jobs import requests as job_requests
from seedbed.jobs.senders import Sender
from seedbed.jobs.state import Job, RequestRecord
from seedbed.llm import ChatResult
from seedbed.llm.base import BatchAPI, BatchRequest
from seedbed.store.core import Store

GATHER_SECONDS = 0.2  # requests dispatched within this time share a batch


def poll_seconds() -> float:
    """Seconds between two looks at an open batch (SEEDBED_BATCH_POLL_SECONDS, default 30)."""
    return float(os.environ.get("SEEDBED_BATCH_POLL_SECONDS", "30"))


_Waiter = tuple[RequestRecord, "asyncio.Future[ChatResult]"]


@dataclass
class _Provider:
    """One server and model of the run, with its Batch API."""

    api: BatchAPI
    gathering: dict[int, _Waiter] = field(default_factory=dict)  # request id -> waiter
    flush: asyncio.Task[None] | None = None


@dataclass
class _Watch:
    """An open batch being polled, and the requests of this run that wait for it."""

    row: batch_rows.BatchRow
    provider: _Provider
    waiting: dict[int, _Waiter] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


async def open_batches(
    stack: contextlib.AsyncExitStack, store: Store, job: Job, senders: dict[str, Sender]
) -> BatchQueue | None:
    """A BatchQueue for the job's senders with a Batch API, or None when none has one.

    A server without a Batch API is recorded (the job page says so) and its
    requests are sent directly. Raises BackendError when the key is refused.
    """
    providers: dict[int, _Provider] = {}
    for sender in {id(s): s for s in senders.values()}.values():
        opening = sender.backend.batches()
        if opening is None:  # a backend without one (the embedded model): sent directly
            continue
        api = await stack.enter_async_context(opening)
        if await api.available():
            providers[id(sender)] = _Provider(api)
        else:
            batch_rows.note_unsupported(store, job.id, api.endpoint, api.model)
    if not providers:
        return None
    queue = BatchQueue(store, job, providers)
    stack.push_async_callback(queue.close)
    await queue.adopt_open_batches()
    return queue


class BatchQueue:
    """Answers the engine's requests through provider batches (see the module docstring)."""

    def __init__(self, store: Store, job: Job, providers: dict[int, _Provider]) -> None:
        self.store, self.job_id, self.providers = store, job.id, providers
        self.direct = asyncio.Semaphore(job.settings.concurrency)
        self.poll = poll_seconds()
        self.watches: dict[int, _Watch] = {}  # batch row id -> watch
        self.open_by_request: dict[int, batch_rows.BatchRow] = {}
        self.resent: Counter[int] = Counter()
        self.lines: dict[int, dict[str, dict[str, Any]]] = {}  # row id -> custom_id -> line
        self.cancelling: list[asyncio.Task[None]] = []

    @property
    def limit(self) -> int:
        """Requests the engine may hand over at once: a batch's worth."""
        return min(provider.api.max_requests for provider in self.providers.values())

    async def send(self, record: RequestRecord, sender: Sender) -> ChatResult:
        """The reply to `record`, from a batch (or directly when its server has no Batch API)."""
        provider = self.providers.get(id(sender))
        if provider is None:
            async with self.direct:
                job_requests.count_attempt(self.store, record.id)
                return await sender.send(record.request.messages, record.request.params)
        future: asyncio.Future[ChatResult] = asyncio.get_running_loop().create_future()
        row = self.open_by_request.pop(record.id, None)
        if row is not None:  # submitted by an earlier run: wait for that batch
            self._watch(row, provider, {record.id: (record, future)})
        else:
            self._gather(provider, (record, future))
        return await future

    def cancel(self) -> None:
        """The user cancelled the job: cancel its open batches at the provider, stop waiting."""
        for watch in self.watches.values():
            if watch.row.batch_id and watch.task is not None and not watch.task.done():
                self.cancelling.append(asyncio.ensure_future(self._cancel_batch(watch)))
            for _, future in watch.waiting.values():
                future.cancel()
        for provider in self.providers.values():
            for _, future in provider.gathering.values():
                future.cancel()

    async def close(self) -> None:
        """Stop waiting; batches whose every answer is stored are marked done."""
        tasks = [w.task for w in self.watches.values() if w.task is not None]
        tasks += [p.flush for p in self.providers.values() if p.flush is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, *self.cancelling, return_exceptions=True)
        pending = {record.id for record in job_requests.pending_requests(self.store, self.job_id)}
        for row in batch_rows.open_rows(self.store, self.job_id):
            if row.batch_id and not pending.intersection(row.request_ids):
                batch_rows.update(self.store, row.id, status=batch_rows.DONE)

    # -- resuming --

    async def adopt_open_batches(self) -> None:
        """Find the batches earlier runs submitted for requests that are still pending."""
        pending = {record.id for record in job_requests.pending_requests(self.store, self.job_id)}
        for row in batch_rows.open_rows(self.store, self.job_id):
            if not pending.intersection(row.request_ids):
                batch_rows.update(self.store, row.id, status=batch_rows.DONE)  # all stored
                continue
            provider = self._provider_of(row)
            if provider is not None and row.batch_id is None:
                row = await self._adopt(provider, row)
            if provider is None or row.batch_id is None:
                batch_rows.update(
                    self.store, row.id, status=batch_rows.FAILED, error="never submitted"
                )
                continue
            self.open_by_request.update({request_id: row for request_id in row.request_ids})

    def _provider_of(self, row: batch_rows.BatchRow) -> _Provider | None:
        for provider in self.providers.values():
            if (provider.api.endpoint, provider.api.model) == (row.endpoint, row.model):
                return provider
        return None

    async def _adopt(self, provider: _Provider, row: batch_rows.BatchRow) -> batch_rows.BatchRow:
        """A run that died while submitting: find its batch by the row id in the metadata."""
        batch_id = await provider.api.find({"seedbed_batch": str(row.id)})
        if batch_id is None:
            return row
        batch_rows.update(self.store, row.id, batch_id=batch_id)
        return row.model_copy(update={"batch_id": batch_id})

    # -- submitting --

    def _gather(self, provider: _Provider, waiter: _Waiter) -> None:
        provider.gathering[waiter[0].id] = waiter
        if provider.flush is None or provider.flush.done():
            provider.flush = asyncio.ensure_future(self._flush(provider))

    async def _flush(self, provider: _Provider) -> None:
        """Submit what was gathered; requests gathered while submitting go in another batch."""
        while True:
            await asyncio.sleep(GATHER_SECONDS)
            gathered, provider.gathering = provider.gathering, {}
            waiters = [waiter for waiter in gathered.values() if not waiter[1].done()]
            if not waiters:
                return
            size = provider.api.max_requests
            for start in range(0, len(waiters), size):
                chunk = waiters[start : start + size]
                try:
                    row = await self._submit(provider, [record for record, _ in chunk])
                except Exception as error:  # its requests fail, the run goes on
                    _fail(chunk, error)
                    continue
                self._watch(row, provider, {waiter[0].id: waiter for waiter in chunk})

    async def _submit(
        self, provider: _Provider, records: list[RequestRecord]
    ) -> batch_rows.BatchRow:
        """Write the row first, then upload and create: a crash in between can be adopted."""
        api = provider.api
        ids = [record.id for record in records]
        row = batch_rows.add(self.store, self.job_id, api.endpoint, api.model, ids)
        name = f"seedbed-job-{self.job_id}-batch-{row.id}.jsonl"
        requests = [
            BatchRequest(str(record.id), record.request.messages, record.request.params)
            for record in records
        ]
        try:
            file_id = await api.upload(name, requests)
            batch_rows.update(self.store, row.id, input_file_id=file_id)
            metadata = {"seedbed_job": str(self.job_id), "seedbed_batch": str(row.id)}
            batch = await api.create(file_id, metadata)
        except BackendError as error:
            batch_rows.update(self.store, row.id, status=batch_rows.FAILED, error=str(error))
            raise
        batch_rows.update(self.store, row.id, batch_id=batch.id, provider_status=batch.status)
        job_requests.count_attempt(self.store, *ids)
        return row.model_copy(update={"batch_id": batch.id})

    # -- waiting and reading --

    def _watch(
        self,
        row: batch_rows.BatchRow,
        provider: _Provider,
        waiting: dict[int, _Waiter],
    ) -> None:
        watch = self.watches.get(row.id)
        if watch is None or (watch.task is not None and watch.task.done()):
            watch = self.watches[row.id] = _Watch(row, provider)
        watch.waiting.update(waiting)
        if watch.task is None:
            watch.task = asyncio.ensure_future(self._wait(watch))

    async def _wait(self, watch: _Watch) -> None:
        """Poll the batch until it ends, then answer every request waiting for it."""
        try:
            lines = await self._poll(watch)
        except Exception as error:  # BackendError ends the job; others fail its requests
            _fail(watch.waiting.values(), error)
            return
        api = watch.provider.api
        for request_id, (record, future) in watch.waiting.items():
            if future.done():
                continue
            result = api.result_of(lines.get(str(request_id)))
            if result is not None:
                future.set_result(result)
            elif self.resent[request_id] < 1:  # the batch expired or was cancelled first
                self.resent[request_id] += 1
                self._gather(watch.provider, (record, future))
            else:
                message = f"Batch {watch.row.batch_id} ended without answering it, twice."
                future.set_result(ChatResult(model=api.model, error=message))

    async def _poll(self, watch: _Watch) -> dict[str, dict[str, Any]]:
        """The output and error lines of the ended batch, by custom_id."""
        if watch.row.id in self.lines:
            return self.lines[watch.row.id]
        api = watch.provider.api
        while True:
            batch = await api.look(str(watch.row.batch_id))
            if batch is not None:
                batch_rows.update(self.store, watch.row.id, provider_status=batch.status)
                if batch.ended:
                    break
            await asyncio.sleep(self.poll)
        if problem := batch.refusal:
            batch_rows.update(self.store, watch.row.id, status=batch_rows.FAILED, error=problem)
            raise BackendError(problem)
        ids = {"output_file_id": batch.output_file_id, "error_file_id": batch.error_file_id}
        batch_rows.update(self.store, watch.row.id, **ids)
        lines: dict[str, dict[str, Any]] = {}
        for file_id in ids.values():
            if file_id:
                lines.update(await api.download(file_id))
        self.lines[watch.row.id] = lines
        return lines

    async def _cancel_batch(self, watch: _Watch) -> None:
        await watch.provider.api.cancel(str(watch.row.batch_id))


def _fail(waiters: Iterable[_Waiter], error: Exception) -> None:
    for _, future in waiters:
        if not future.done():
            future.set_exception(error)
