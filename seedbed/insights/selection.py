"""The candidates a measure looks at, read column by column: only what the Insights need.

Building a full Candidate (prompt, params, checks, validation) for every row costs more than
the measures themselves at 100,000 rows, so this reads eleven columns in batches instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
from sqlalchemy import func, select

from seedbed.models import Candidate, CandidateFilter
from seedbed.store import schema as t
from seedbed.store.core import Store, as_utc, select_candidates

_c = t.candidates.c
_COLUMNS = (
    _c.id,
    _c.content,
    _c.edited_content,
    _c.label,
    _c.attributes,
    _c.method,
    _c.status,
    _c.created_at,
    _c.reviewed_at,
    _c.reviewed_by,
    _c.job_id,
)

_LIST_FIELDS = (
    "texts",
    "labels",
    "attributes",
    "methods",
    "statuses",
    "created_at",
    "reviewed_at",
    "annotators",
    "job_ids",
)


@dataclass
class SelectionRows:
    """Matching candidates as parallel columns, in id order."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    texts: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    attributes: list[dict[str, str]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    created_at: list[datetime] = field(default_factory=list)
    reviewed_at: list[datetime | None] = field(default_factory=list)
    annotators: list[str | None] = field(default_factory=list)
    job_ids: list[int | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, positions: Iterable[int]) -> SelectionRows:
        """The rows at `positions`, in that order."""
        index = list(positions)
        return SelectionRows(
            ids=self.ids[index] if index else np.zeros(0, dtype=np.int64),
            **{
                name: [getattr(self, name)[position] for position in index] for name in _LIST_FIELDS
            },
        )


def fetch_rows(
    store: Store, project_id: int, where: CandidateFilter | None = None, batch: int = 5000
) -> SelectionRows:
    """The text, label, attributes and provenance of every matching candidate.

    One read transaction, streamed `batch` rows at a time. The text is what a reviewer
    approved (the edit when there is one), exactly as Candidate.text builds it.
    """
    query = select_candidates(project_id, where).with_only_columns(*_COLUMNS).order_by(_c.id)
    rows = SelectionRows()
    ids: list[int] = []
    with store.engine.connect() as conn:
        result = conn.execution_options(yield_per=batch).execute(query)
        for part in result.partitions():
            for row in part:
                ids.append(row.id)
                rows.texts.append(_text(row.content, row.edited_content))
                rows.labels.append(row.label)
                rows.attributes.append(row.attributes or {})
                rows.methods.append(row.method)
                rows.statuses.append(row.status)
                rows.created_at.append(as_utc(row.created_at))
                rows.reviewed_at.append(as_utc(row.reviewed_at))
                rows.annotators.append(row.reviewed_by)
                rows.job_ids.append(row.job_id)
    rows.ids = np.array(ids, dtype=np.int64)
    return rows


_TEXT_RULE = Candidate.text.fget  # Candidate's own rule, without building a Candidate


def _text(content: dict[str, str], edited: dict[str, str] | None) -> str:
    # A validated Candidate costs about half a millisecond (model_construct too): reuse
    # the property's code on a stand-in that only has what it reads.
    return _TEXT_RULE(SimpleNamespace(final_content=edited if edited is not None else content))


def selection_version(
    store: Store, project_id: int, where: CandidateFilter | None = None
) -> tuple[Any, ...]:
    """A cheap key that changes whenever the selection's rows or decisions change.

    Count, highest id, latest review time and the sum of decision versions (bumped by every
    decision, edits included): one aggregate query, no rows read.
    """
    matching = select_candidates(project_id, where).subquery()
    query = select(
        func.count(),
        func.max(matching.c.id),
        func.max(matching.c.reviewed_at),
        func.coalesce(func.sum(matching.c.version), 0),
    )
    with store.engine.connect() as conn:
        count, last_id, last_review, versions = conn.execute(query).one()
    return (int(count), last_id, str(last_review), int(versions))
