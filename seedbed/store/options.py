"""The values a candidate filter can offer for one project (methods, labels, jobs, dates, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from seedbed.models import Project
from seedbed.store import schema as t
from seedbed.store.core import Store, as_utc


@dataclass
class FilterOptions:
    """What a selection of the project's candidates can be narrowed by."""

    methods: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    jobs: dict[int, str] = field(default_factory=dict)  # job id -> a short description
    first_created: datetime | None = None
    last_created: datetime | None = None


def filter_options(store: Store, project: Project) -> FilterOptions:
    """What the project's candidates hold, read with DISTINCT queries (never every row).

    Labels keep the project's order and drop those no candidate has. Attribute values
    come from the project's dimensions, so a value nobody has generated yet can still
    be picked.
    """
    c = t.candidates.c
    mine = c.project_id == project.id
    with store.engine.connect() as conn:
        methods, labels, reviewers, flags, job_ids = (
            conn.execute(select(column).distinct().where(mine)).scalars().all()
            for column in (c.method, c.label, c.reviewed_by, c.flags, c.job_id)
        )
        first, last = conn.execute(
            select(func.min(c.created_at), func.max(c.created_at)).where(mine)
        ).one()
        jobs = t.jobs.c
        job_rows = conn.execute(
            select(jobs.id, jobs.method, jobs.created_at).where(jobs.project_id == project.id)
        ).all()
    attributes: dict[str, list[str]] = {}
    for dimension in store.list_dimensions(project.id):
        values = [v.value for v in dimension.values]
        values += [v.value for vs in dimension.per_label.values() for v in vs]
        attributes[dimension.name] = sorted(set(values))
    described = {
        job.id: f"job {job.id} · {job.method} · {job.created_at:%Y-%m-%d %H:%M}" for job in job_rows
    }
    known = [label for label in project.labels if label in labels]
    return FilterOptions(
        methods=sorted(methods),
        labels=known + sorted(label for label in labels if label and label not in known),
        attributes=attributes,
        failed_checks=sorted({name for flag in flags for name in (flag or "").split(",") if name}),
        annotators=sorted(name for name in reviewers if name),
        jobs={
            job_id: described.get(job_id, f"job {job_id}")
            for job_id in sorted(j for j in job_ids if j is not None)
        },
        first_created=as_utc(first),
        last_created=as_utc(last),
    )
