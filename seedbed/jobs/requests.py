"""The requests of generation jobs in the store: planned, sent, answered, and what they cost.

Each chat request is a `job_requests` row written before it is sent;
`complete_request` marks it answered in the same transaction that stores its
candidates and follow-up requests, so a job resumed after a crash repeats no
finished request and loses no stored result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from seedbed.errors import JobError
from seedbed.jobs.state import (
    Job,
    JobProgress,
    JobStatus,
    RequestRecord,
    RequestStatus,
    get_job,
)
from seedbed.methods.base import Request
from seedbed.models import Candidate, Usage
from seedbed.store import schema as t
from seedbed.store.core import Store, _candidate_row


def add_round(store: Store, job_id: int, round_: int, requests: Sequence[Request]) -> int:
    """Store a round's planned requests and the round number in one transaction.

    A request whose key the job already has is left out; returns how many were new.
    """
    with store.engine.begin() as conn:
        added = _insert_requests(conn, job_id, round_, requests)
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(rounds=round_))
    return len(added)


def pending_requests(store: Store, job_id: int) -> list[RequestRecord]:
    """The requests still to send, oldest first."""
    return _requests(store, job_id, RequestStatus.PENDING)


def failed_requests(store: Store, job_id: int) -> list[RequestRecord]:
    """The requests that failed, each with its error."""
    return _requests(store, job_id, RequestStatus.FAILED)


def count_attempt(store: Store, *request_ids: int) -> None:
    """Count one sending of each request (a resume sends an unanswered one again)."""
    c = t.job_requests.c
    with store.engine.begin() as conn:
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start : start + 500]
            conn.execute(
                update(t.job_requests).where(c.id.in_(chunk)).values(attempts=c.attempts + 1)
            )


def complete_request(
    store: Store,
    record: RequestRecord,
    *,
    error: str | None = None,
    note: str = "",
    model: str = "",
    usage: Usage | None = None,
    cost_usd: float | None = None,
    candidates: Sequence[Candidate] = (),
    follow_ups: Sequence[Request] = (),
    owner: str | None = None,
    node: str = "",
) -> tuple[list[int], list[RequestRecord]] | None:
    """Answer one request in ONE transaction: its status and usage, its candidates, its follow-ups.

    Returns the new candidate ids and the follow-up requests stored (a follow-up
    whose key the job already has is not stored twice). Returns None and stores
    nothing when the request is no longer pending or, given `owner`, the job has
    another owner now: a run that lost its job never stores an answer twice.
    """
    usage = usage or Usage()
    values = {
        "status": RequestStatus.FAILED if error else RequestStatus.DONE,
        "error": error,
        "note": note,
        "model": model,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cost_usd": cost_usd,
        "finished_at": datetime.now(UTC),
        "node": node,
    }
    r = t.job_requests.c
    still_ours = [r.id == record.id, r.status == RequestStatus.PENDING]
    if owner is not None:
        owned = select(t.jobs.c.id).where(t.jobs.c.id == record.job_id, t.jobs.c.owner == owner)
        still_ours.append(owned.exists())
    with store.engine.begin() as conn:
        if not conn.execute(update(t.job_requests).where(*still_ours).values(values)).rowcount:
            return None
        ids = [
            int(
                conn.execute(insert(t.candidates).values(**_candidate_row(c))).inserted_primary_key[
                    0
                ]
            )
            for c in candidates
        ]
        added = _insert_requests(conn, record.job_id, record.round, follow_ups)
    return ids, added


def job_progress(store: Store, job: Job) -> JobProgress:
    """Counts, tokens, cost and elapsed time of a job, read from the store."""
    r, c = t.job_requests.c, t.candidates.c
    with store.engine.connect() as conn:
        by_status = dict(
            conn.execute(
                select(r.status, func.count()).where(r.job_id == job.id).group_by(r.status)
            ).all()
        )
        spent = conn.execute(
            select(
                func.coalesce(func.sum(r.prompt_tokens), 0),
                func.coalesce(func.sum(r.completion_tokens), 0),
                func.coalesce(func.sum(r.cost_usd), 0.0),
                func.coalesce(
                    func.sum(case((r.cost_usd.is_(None), r.prompt_tokens + r.completion_tokens))),
                    0,
                ),
            ).where(r.job_id == job.id)
        ).one()
        stored, filtered = conn.execute(
            select(
                func.count(), func.coalesce(func.sum(case((c.flags != "", 1), else_=0)), 0)
            ).where(c.job_id == job.id)
        ).one()
    elapsed = job.elapsed_seconds
    if job.status == JobStatus.RUNNING and not job.is_interrupted():
        elapsed += max(0.0, (datetime.now(UTC) - job.last_seen()).total_seconds())
    return JobProgress(
        n=job.settings.n,
        stored=stored,
        filtered=filtered,
        requests=sum(by_status.values()),
        done=by_status.get(RequestStatus.DONE, 0),
        failed=by_status.get(RequestStatus.FAILED, 0),
        pending=by_status.get(RequestStatus.PENDING, 0),
        prompt_tokens=spent[0],
        completion_tokens=spent[1],
        cost_usd=spent[2],
        unpriced_tokens=spent[3],
        elapsed_seconds=elapsed,
    )


def round_yields(store: Store, job_id: int) -> dict[int, int]:
    """Candidates stored by each planning round of a job (follow-ups count for their round)."""
    r, c = t.job_requests.c, t.candidates.c
    with store.engine.connect() as conn:
        rounds = dict(conn.execute(select(r.id, r.round).where(r.job_id == job_id)).tuples().all())
        lineages = conn.execute(select(c.lineage).where(c.job_id == job_id)).scalars().all()
    yields: dict[int, int] = {}
    for lineage in lineages:
        round_ = rounds.get((lineage or {}).get("job_request_id"))
        if round_ is not None:
            yields[round_] = yields.get(round_, 0) + 1
    return yields


def _insert_requests(
    conn: Connection, job_id: int, round_: int, requests: Sequence[Request]
) -> list[RequestRecord]:
    if not requests:
        return []
    c = t.job_requests.c
    # Keys are unique in the whole job: a method may plan a key a past round finished.
    keys = [request.key for request in requests]
    known = set(conn.execute(select(c.key).where(c.job_id == job_id, c.key.in_(keys))).scalars())
    now = datetime.now(UTC)
    added = []
    for request in requests:
        if request.key in known:
            continue
        known.add(request.key)
        values = {
            "job_id": job_id,
            "round": round_,
            "key": request.key,
            "stage": request.stage,
            "request": request.model_dump(mode="json"),
            "status": RequestStatus.PENDING,
            "created_at": now,
        }
        new_id = int(conn.execute(insert(t.job_requests).values(values)).inserted_primary_key[0])
        added.append(
            RequestRecord(id=new_id, job_id=job_id, round=round_, request=request, status="pending")
        )
    return added


def _requests(store: Store, job_id: int, status: RequestStatus) -> list[RequestRecord]:
    c = t.job_requests.c
    query = select(t.job_requests).where(c.job_id == job_id, c.status == status).order_by(c.id)
    with store.engine.connect() as conn:
        return [_record(row) for row in conn.execute(query).all()]


def _record(row: Row) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        job_id=row.job_id,
        round=row.round,
        request=Request.model_validate(row.request),
        status=row.status,
        error=row.error,
        note=row.note,
        model=row.model,
        usage=Usage(prompt_tokens=row.prompt_tokens, completion_tokens=row.completion_tokens),
        cost_usd=row.cost_usd,
        attempts=row.attempts,
    )


def nodes_served(store: Store, job_id: int) -> dict[str, int]:
    """How many of the job's requests each Ray node answered (none for an in-process job)."""
    c = t.job_requests.c
    query = (
        select(c.node, func.count())
        .where(c.job_id == job_id, c.node != "")
        .group_by(c.node)
        .order_by(c.node)
    )
    with store.engine.connect() as conn:
        return {node: count for node, count in conn.execute(query).all()}


def retry_failed(store: Store, job_id: int) -> int:
    """Make the failed requests of an ended job pending again; returns how many.

    Any ended job may retry, a done one too (a server that timed out behind a queue
    leaves a job done but short): a done job becomes "stopped", so that a resume
    claims it. Everything is checked before anything changes: JobError, having
    changed nothing, when the job is unknown, running now, has no failed request, or
    is done with its count (a retried request could store nothing).
    """
    job = get_job(store, job_id)
    if job is None:
        raise JobError(f"There is no job {job_id}.")
    if job.status == JobStatus.RUNNING and not job.is_interrupted():
        raise JobError(f"Job {job_id} is running; cancel it before retrying its failures.")
    progress = job_progress(store, job)
    if not progress.failed:
        raise JobError(f"Job {job_id} has no failed request to retry.")
    if job.status == JobStatus.DONE and progress.stored >= job.settings.n:
        raise JobError(
            f"Job {job_id} already has its {job.settings.n} candidates; its failed requests "
            "were left as they are."
        )
    c = t.job_requests.c
    with store.engine.begin() as conn:
        count = conn.execute(
            update(t.job_requests)
            .where(c.job_id == job_id, c.status == RequestStatus.FAILED)
            .values(status=RequestStatus.PENDING, error=None)
        ).rowcount
        if job.status == JobStatus.DONE:
            message = f"{count} failed request{'s' if count != 1 else ''} to send again."
            conn.execute(
                update(t.jobs)
                .where(t.jobs.c.id == job_id, t.jobs.c.status == JobStatus.DONE)
                .values(status=JobStatus.STOPPED, message=message)
            )
    return count
