"""The provider batches of generation jobs in the store (table job_batches, migration 6).

seedbed/jobs/batches.py writes a row before it submits a batch and fills in the file
and batch ids as the provider hands them out, so a restarted run can find it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Row

from seedbed.models import Strict
from seedbed.store import schema as t
from seedbed.store.core import Store

OPEN, DONE, FAILED, UNSUPPORTED = "open", "done", "failed", "unsupported"


class BatchRow(Strict):
    id: int
    job_id: int
    status: str
    endpoint: str = ""
    model: str = ""
    batch_id: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    provider_status: str = ""
    request_ids: list[int] = Field(default_factory=list)
    error: str | None = None


def add(
    store: Store, job_id: int, endpoint: str, model: str, request_ids: Sequence[int]
) -> BatchRow:
    """An open batch of `request_ids`, not yet submitted."""
    values = {
        "job_id": job_id,
        "status": OPEN,
        "endpoint": endpoint,
        "model": model,
        "request_ids": list(request_ids),
        "created_at": datetime.now(UTC),
    }
    with store.engine.begin() as conn:
        row_id = int(conn.execute(insert(t.job_batches).values(values)).inserted_primary_key[0])
    return BatchRow(id=row_id, **{k: v for k, v in values.items() if k != "created_at"})


def update(store: Store, row_id: int, **values: Any) -> None:
    """Record what the provider said of a batch; an ended one gets its end time."""
    if values.get("status") in (DONE, FAILED):
        values["finished_at"] = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(sql_update(t.job_batches).where(t.job_batches.c.id == row_id).values(values))


def open_rows(store: Store, job_id: int) -> list[BatchRow]:
    return [row for row in job_rows(store, job_id) if row.status == OPEN]


def job_rows(store: Store, job_id: int) -> list[BatchRow]:
    """Every batch of the job, oldest first."""
    c = t.job_batches.c
    query = select(t.job_batches).where(c.job_id == job_id).order_by(c.id)
    with store.engine.connect() as conn:
        return [_row(row) for row in conn.execute(query).all()]


def note_unsupported(store: Store, job_id: int, endpoint: str, model: str) -> None:
    """Remember (once per job and server) that the server has no Batch API."""
    known = [(r.endpoint, r.model) for r in job_rows(store, job_id) if r.status == UNSUPPORTED]
    if (endpoint, model) in known:
        return
    row = add(store, job_id, endpoint, model, [])
    update(store, row.id, status=UNSUPPORTED)


def summary(store: Store, job_id: int) -> list[str]:
    """One line per batch of the job, for the job page and the command line."""
    lines = []
    for row in job_rows(store, job_id):
        if row.status == UNSUPPORTED:
            lines.append(f"{row.endpoint} has no Batch API: its requests were sent directly.")
            continue
        state = row.provider_status or "submitting"
        count = len(row.request_ids)
        line = (
            f"Batch {row.batch_id or '(not submitted)'}: {count} requests to {row.model}, {state}"
        )
        if row.error:
            line += f" ({row.error})"
        lines.append(line)
    return lines


def _row(row: Row) -> BatchRow:
    data = {name: value for name, value in row._mapping.items() if name in BatchRow.model_fields}
    return BatchRow(**data)
