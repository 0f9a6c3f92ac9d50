"""The engine of one job run: send a job's requests, store every reply the moment it lands.

A method (seedbed/methods) plans chat requests and reads replies; the engine
sends the job's pending requests (seedbed/jobs/state.py) with bounded concurrency and,
for each reply, stores in one transaction the request's outcome, its candidates
and its follow-up requests. Finished requests are never sent again; one left
unanswered by a killed process is sent again by the next run.

Rounds: when every request is answered and the job holds fewer than `n`
candidates, the method plans again, for the missing count, until the job's
`max_rounds` or EMPTY_ROUNDS rounds in a row that yield no candidate; the end
message names the rounds that yielded nothing. Round r uses its own rng derived
from (seed, r), so a resumed job plans exactly what the lost process would have,
and its request keys are prefixed with "r<r>/": a method numbers its requests
within one plan, and the same key in another round is another request.

Budget: before each request the engine reserves the most it may use (its prompt
at ~4 characters a token plus max_tokens), and sends nothing that could pass the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from seedbed.checks import (
    empty_field_check,
    passed_instruction_checks,
    truncated_check,
    was_cut,
)
from seedbed.conversations import is_conversation, turns
from seedbed.duplicates.pool import DuplicatePool
from seedbed.errors import BackendError, JobError
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.batches import BatchQueue, open_batches
from seedbed.jobs.context import method_context, method_named, pool_texts, round_rng
from seedbed.jobs.pricing import budget_problem, load_prices
from seedbed.jobs.senders import OpenSenders, Sender, Window, estimate_tokens
from seedbed.jobs.state import Job, JobProgress, JobStatus, RequestRecord
from seedbed.llm import ChatBackend, ChatResult
from seedbed.methods.base import Draft, Outcome, Request, main_text
from seedbed.models import Candidate, Project, Usage
from seedbed.store.core import Store

ProgressCallback = Callable[[JobProgress], None]
# Receives each piece of a reply as it is written, with the request it answers; called
# from the sending thread (a worker thread for a backend without a session).
RequestTextCallback = Callable[[RequestRecord, str], None]
HEARTBEAT_SECONDS = 1.0
# Rounds in a row that yield no candidate before a job gives up: one can be bad luck
# (a model that ignored the format once), two in a row means more would waste tokens.
EMPTY_ROUNDS = 2


@dataclass
class _Flight:
    record: RequestRecord
    sender: Sender
    tokens: int  # the most this request may use, reserved against the budget
    usd: float
    ticket: int = 0  # its number in the window (direct sending only)
    sent_at: float = 0.0
    company: int = 0  # other requests in flight when it was sent


class JobEngine:
    """One run of one job, from claim (by seedbed/jobs/runner.py) to end.

    It runs where the job is driven (the app, the command line, or a cluster
    driver); its senders may be here or actors on Ray nodes (OpenSenders).

    Everything runs on one event loop thread: sending is concurrent, while
    reading replies, the novelty pool and every store write happen one at a time.
    """

    def __init__(
        self,
        store: Store,
        job: Job,
        owner: str,
        *,
        open_senders: OpenSenders,
        on_progress: ProgressCallback | None,
        on_text: RequestTextCallback | None = None,
    ) -> None:
        self.store, self.job, self.owner = store, job, owner
        self.settings = job.settings
        self.open_senders, self.on_progress, self.on_text = open_senders, on_progress, on_text
        self.method = method_named(self.settings.method)
        project = store.get_project(job.project_id)
        if project is None:
            raise JobError(f"The project of job {job.id} no longer exists.")
        self.context = method_context(store, project, self.settings.options)
        self.prices = load_prices(store)
        self.progress = job_requests.job_progress(store, job)
        self.queue = deque(job_requests.pending_requests(store, job.id))
        for record in self.queue:  # instructions a lost process had added to the pool
            if pool_text := record.request.context.get("pool_text"):
                self.context.novelty.add(pool_text)
        # Stored texts only: a pending request's own instruction must not flag its candidate.
        self.duplicates = _duplicate_pool(store, project, self.settings.semantic_duplicates)
        self.flights: dict[asyncio.Future[ChatResult], _Flight] = {}
        # Kept as running totals: a Batch API round may hold thousands of flights.
        self.in_flight: Counter[str] = Counter()  # stage -> requests in flight
        self.reserved_tokens, self.reserved_usd = 0, 0.0
        self.batches: BatchQueue | None = None
        self.senders: dict[str, Sender] = {}
        # Requests in flight, over all senders: at most the job's concurrency, fewer
        # while the server queues or times out (senders.Window).
        self.window = Window(self.settings.concurrency)
        self.yields: dict[str, list[int]] = {}  # stage -> [drafts, replies]
        self.end: tuple[JobStatus, str | None] | None = None
        self.rounds = job.rounds
        # round -> candidates its requests (and their follow-ups) stored
        self.round_yields = job_requests.round_yields(store, job.id)
        self.started = time.monotonic()
        self.last_beat = 0.0

    def elapsed(self) -> float:
        return self.job.elapsed_seconds + time.monotonic() - self.started

    async def run(self) -> tuple[JobStatus, str | None] | None:
        """Send until the job ends; its end status and message (None: another process took it)."""
        reason = self.method.unavailable(self.context)
        if reason:
            return JobStatus.FAILED, reason
        async with contextlib.AsyncExitStack() as stack:
            try:
                self.senders, capacity = await self.open_senders(
                    stack, self.settings, self.method.stages
                )
                self.window = Window(capacity)
                if problem := self._unpriced():
                    return JobStatus.FAILED, problem
                if self.settings.uses_batches():
                    self.batches = await open_batches(stack, self.store, self.job, self.senders)
            except BackendError as error:
                return JobStatus.FAILED, str(error)
            while True:
                if not self._beat():
                    return None
                self._dispatch()
                if not self.flights:
                    if self.end is not None:
                        break
                    if self.progress.stored >= self.settings.n:
                        self.end = (JobStatus.DONE, None)
                        break
                    if not self.queue:
                        self._plan_round()
                    continue
                finished, _ = await asyncio.wait(
                    self.flights, timeout=HEARTBEAT_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                for future in finished:
                    self._land(future)
        return self.end

    def _unpriced(self) -> str | None:
        if self.settings.budget_usd is None:
            return None
        for sender in self.senders.values():
            if self.prices.find(sender.backend.model) is None:
                return (
                    f"No price for model '{sender.backend.model}': add it to the price table "
                    "or use a token budget."
                )
        return None

    def _beat(self) -> bool:
        """Heartbeat about once a second; notices a cancel request. False: the job was taken."""
        now = time.monotonic()
        if now - self.last_beat < HEARTBEAT_SECONDS:
            return True
        self.last_beat = now
        still_owner, cancel = jobs.heartbeat(self.store, self.job.id, self.owner, self.elapsed())
        if not still_owner:
            for future in self.flights:
                future.cancel()
            return False
        if cancel and self.end is None:
            self.end = (JobStatus.CANCELLED, "Cancelled by the user; a resume goes on from here.")
            if self.batches is not None:  # a provider batch may take hours: stop waiting
                self.batches.cancel()
        return True

    # -- sending --

    def _dispatch(self) -> None:
        """Send queued requests while there is room, budget, and candidates still to make."""
        limit = self.batches.limit if self.batches else self.window.limit
        while self.queue and self.end is None and len(self.flights) < limit:
            if self.progress.stored + self._expected_yield() >= self.settings.n:
                return
            record = self.queue[0]
            sender = self.senders.get(record.request.stage, self.senders[""])
            prompt, completion = estimate_tokens(record.request)
            most = Usage(prompt_tokens=prompt, completion_tokens=completion)
            usd = self.prices.cost(sender.backend.model, most) or 0.0
            over = budget_problem(
                self.settings.budget_tokens,
                self.settings.budget_usd,
                used_tokens=self.progress.tokens,
                used_usd=self.progress.cost_usd,
                reserved_tokens=self.reserved_tokens + most.total_tokens,
                reserved_usd=self.reserved_usd + usd,
                next_tokens=most.total_tokens,
                next_usd=usd,
            )
            if over:
                if not self.flights:
                    self.end = (JobStatus.STOPPED, over)
                return
            self.queue.popleft()
            request = record.request
            flight = _Flight(record, sender, most.total_tokens, usd)
            if self.batches is not None:  # counts its attempts when it submits
                sending = self.batches.send(record, sender)
            else:
                job_requests.count_attempt(self.store, record.id)
                on_text = functools.partial(self.on_text, record) if self.on_text else None
                sending = sender.send(request.messages, request.params, on_text)
                flight.ticket, flight.company = self.window.ticket(), len(self.flights)
                flight.sent_at = time.monotonic()
            self._take_off(asyncio.ensure_future(sending), flight)

    def _take_off(self, future: asyncio.Future[ChatResult], flight: _Flight) -> None:
        self.flights[future] = flight
        self.in_flight[flight.record.request.stage] += 1
        self.reserved_tokens += flight.tokens
        self.reserved_usd += flight.usd

    def _touch_down(self, future: asyncio.Future[ChatResult]) -> _Flight:
        flight = self.flights.pop(future)
        self.in_flight[flight.record.request.stage] -= 1
        self.reserved_tokens -= flight.tokens
        self.reserved_usd -= flight.usd
        if not self.flights:  # no float residue in what the budget sees as reserved
            self.reserved_tokens, self.reserved_usd = 0, 0.0
        return flight

    def _expected_yield(self) -> float:
        """Candidates the requests in flight should bring (1 each for a stage not seen yet)."""
        total = 0.0
        for stage, count in self.in_flight.items():
            drafts, replies = self.yields.get(stage, (0, 0))
            total += count * (drafts / replies if replies else 1.0)
        return total

    # -- storing --

    def _land(self, future: asyncio.Future[ChatResult]) -> None:
        flight = self._touch_down(future)
        if future.cancelled():
            return  # left pending: a resume sends it again
        error = future.exception()
        if isinstance(error, BackendError):
            # Every request would fail the same way: stop, keep the rest pending.
            self.end = (JobStatus.FAILED, str(error))
            for other in self.flights:
                other.cancel()
            return
        if error is not None:  # not the backend's kind of failure: this request only
            result = ChatResult(error=f"{type(error).__name__}: {error}")
        else:
            result = future.result()
        if flight.ticket:
            seconds = time.monotonic() - flight.sent_at
            stage = flight.record.request.stage
            self.window.landed(flight.ticket, stage, seconds, result, flight.company)
        self._store_reply(flight, result)
        if self.on_progress is not None:
            self.on_progress(self.snapshot())

    def _store_reply(self, flight: _Flight, result: ChatResult) -> None:
        record, backend = flight.record, flight.sender.backend
        model = result.model or backend.model
        cost = self.prices.cost(model, result.usage)
        if cost is None:
            cost = self.prices.cost(backend.model, result.usage)
        if cost is not None:
            cost *= result.price_factor  # Batch API replies cost less
        outcome = self._read(record.request, result)
        room = max(0, self.settings.n - self.progress.stored)
        kept = [] if outcome.error else outcome.drafts[:room]
        note = ""
        if len(outcome.drafts) > len(kept) and not outcome.error:
            surplus = len(outcome.drafts) - len(kept)
            drafts = "draft" if surplus == 1 else "drafts"
            note = f"{surplus} further {drafts} not stored: the job had its {self.settings.n}."
        candidates = [
            self._candidate(
                record,
                _with_truncation(draft, result),
                model,
                backend,
                result.usage if i == 0 else Usage(),
            )
            for i, draft in enumerate(kept)
        ]
        stored = job_requests.complete_request(
            self.store,
            record,
            error=outcome.error,
            note=note,
            model=model,
            usage=result.usage,
            cost_usd=cost,
            candidates=candidates,
            follow_ups=[] if outcome.error else outcome.follow_ups,
            owner=self.owner,
            node=result.node,
        )
        if stored is None:  # another run took the job over: the next heartbeat stops this one
            self.last_beat = 0.0
            return
        ids, added = stored
        self.round_yields[record.round] = self.round_yields.get(record.round, 0) + len(ids)
        self.queue.extendleft(reversed(added))  # depth first: finish drafts before new work
        for draft in kept:  # the pool's rule: jobs/context.py POOL_RULE
            if passed_instruction_checks(draft.checks):
                self.context.novelty.add(main_text(draft.content))
                self.duplicates.add(_duplicate_text(draft.content))
        self._count(record.request.stage, result, cost, outcome, kept, ids, added)

    def _read(self, request: Request, result: ChatResult) -> Outcome:
        if result.error:
            return Outcome(error=result.error)
        try:
            return self.method.read(self.context, request, result.text, result.finish_reason)
        except Exception as error:  # a method's bug fails its request, not the job
            return Outcome(error=f"The reply could not be read ({type(error).__name__}: {error}).")

    def _candidate(
        self, record: RequestRecord, draft: Draft, model: str, backend: ChatBackend, usage: Usage
    ) -> Candidate:
        request = record.request
        return Candidate(
            project_id=self.job.project_id,
            content=draft.content,
            method=self.method.name,
            label=draft.label,
            attributes=draft.attributes,
            prompt=request.messages,
            model=model,
            params=request.params.model_dump(exclude={"stop"})
            | {"backend": backend.name}
            | _extra_params(backend),
            usage=usage,  # a reply's tokens count once, on its first candidate
            # Whatever the method: a record with an empty required field is flagged, and
            # one repeating a pool text (the pool as it was before this reply's drafts).
            checks=[
                *draft.checks,
                empty_field_check(draft.content),
                *self.duplicates.checks(_duplicate_text(draft.content)),
            ],
            job_id=self.job.id,
            lineage={**draft.lineage, "job_request_id": record.id},
        )

    def _count(
        self,
        stage: str,
        result: ChatResult,
        cost: float | None,
        outcome: Outcome,
        kept: list[Draft],
        ids: list[int],
        added: list[RequestRecord],
    ) -> None:
        """Update the in-memory progress as the store now has it (no read back)."""
        p = self.progress
        p.prompt_tokens += result.usage.prompt_tokens
        p.completion_tokens += result.usage.completion_tokens
        if cost is None:
            p.unpriced_tokens += result.usage.total_tokens
        else:
            p.cost_usd += cost
        if outcome.error:
            p.failed += 1
        else:
            p.done += 1
            drafts, replies = self.yields.get(stage, (0, 0))
            self.yields[stage] = [drafts + len(outcome.drafts), replies + 1]
        p.pending += len(added) - 1
        p.requests += len(added)
        p.stored += len(ids)
        p.filtered += sum(1 for d in kept if any(not check.passed for check in d.checks))

    def _plan_round(self) -> None:
        """Plan another round, or end the job when rounds are used up or bring nothing."""
        n, stored = self.settings.n, self.progress.stored
        limit = self.method.max_rounds(self.context)
        most = self.settings.max_rounds if limit is None else min(limit, self.settings.max_rounds)
        empty = [r for r in range(1, self.rounds + 1) if not self.round_yields.get(r)]
        if self.rounds >= most:
            why = f"after {self.rounds} rounds (the job's limit)"
            self.end = (JobStatus.DONE, _shortfall(stored, n, why, empty))
            return
        recent = range(self.rounds - EMPTY_ROUNDS + 1, self.rounds + 1)
        if self.rounds >= EMPTY_ROUNDS and all(r in empty for r in recent):
            why = f"stopped after {EMPTY_ROUNDS} rounds in a row yielded nothing"
            self.end = (JobStatus.DONE, _shortfall(stored, n, why, empty))
            return
        round_ = self.rounds + 1
        try:
            planned = self.method.plan(
                self.context, n - stored, round_rng(self.settings.seed, round_)
            )
        except ValueError as error:
            self.end = (JobStatus.FAILED, str(error))
            return
        requests = [r.model_copy(update={"key": f"r{round_}/{r.key}"}) for r in planned]
        added = job_requests.add_round(self.store, self.job.id, round_, requests)
        self.rounds = round_
        if not added:
            self.end = (JobStatus.DONE, _shortfall(stored, n, "nothing more to ask", empty))
            return
        self.queue.extend(job_requests.pending_requests(self.store, self.job.id))
        self.progress.requests += added
        self.progress.pending += added

    def snapshot(self) -> JobProgress:
        return self.progress.model_copy(update={"elapsed_seconds": self.elapsed()})

    def finish(self, status: JobStatus, message: str | None) -> None:
        jobs.finish_job(self.store, self.job.id, self.owner, status, self.elapsed(), message)


def _duplicate_text(content: dict[str, str]) -> str:
    """What the duplicate checks compare: a conversation whole (its opening may be a seed's
    instruction, which the pool holds), anything else by its main text."""
    if is_conversation(content):
        return "\n".join(text for _, text in turns(content))
    return main_text(content)


def _duplicate_pool(store: Store, project: Project, semantic: bool) -> DuplicatePool:
    """The duplicate checks' index of the pool (POOL_RULE), with embeddings when asked."""
    embed = None
    if semantic:
        from seedbed.insights.embeddings import embed_texts  # loads the model: only when asked

        def embed(texts):  # noqa: ANN001, ANN202 - cached by content in the store
            return embed_texts(list(texts), store)

    return DuplicatePool(list(pool_texts(store, project)), embed)


def _with_truncation(draft: Draft, result: ChatResult) -> Draft:
    """`draft` with a failed `truncated` check when its reply was cut and the method
    left it unmarked: every candidate of a cut reply says so (see Method.read)."""
    if not was_cut(result.finish_reason) or any(c.name == "truncated" for c in draft.checks):
        return draft
    return draft.model_copy(update={"checks": [*draft.checks, truncated_check()]})


def _shortfall(stored: int, n: int, why: str, empty: list[int]) -> str:
    """The end message of a job short of its count, naming the rounds that yielded nothing."""
    message = f"{stored} of {n} candidates: {why}."
    if empty:
        rounds = "round" if len(empty) == 1 else "rounds"
        names = ", ".join(str(r) for r in empty[:-1])
        names = f"{names} and {empty[-1]}" if names else str(empty[-1])
        message += f" No candidate came from {rounds} {names}."
    return message


def _extra_params(backend: ChatBackend) -> dict[str, str]:
    """The backend's extra request parameters, as JSON, for the candidate's record."""
    extra = backend.extra_body()
    return {"extra": json.dumps(extra, sort_keys=True)} if extra else {}
