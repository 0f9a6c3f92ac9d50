"""The values a candidate filter can offer for one project (methods, labels, annotators, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from seedbed.models import Project
from seedbed.store import schema as t
from seedbed.store.core import Store


@dataclass
class FilterOptions:
    methods: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)


def filter_options(store: Store, project: Project) -> FilterOptions:
    """What the project's candidates hold, read with DISTINCT queries (never every row).

    Attribute values come from the project's dimensions, so a value nobody has
    generated yet can still be picked.
    """
    c = t.candidates.c
    mine = c.project_id == project.id
    with store.engine.connect() as conn:
        methods = conn.execute(select(c.method).distinct().where(mine)).scalars().all()
        labels = conn.execute(select(c.label).distinct().where(mine)).scalars().all()
        reviewers = conn.execute(select(c.reviewed_by).distinct().where(mine)).scalars().all()
        flags = conn.execute(select(c.flags).distinct().where(mine)).scalars().all()
    attributes: dict[str, list[str]] = {}
    for dimension in store.list_dimensions(project.id):
        values = [v.value for v in dimension.values]
        values += [v.value for vs in dimension.per_label.values() for v in vs]
        attributes[dimension.name] = sorted(set(values))
    known_labels = list(project.labels)
    return FilterOptions(
        methods=sorted(methods),
        labels=known_labels
        + sorted(label for label in labels if label and label not in known_labels),
        attributes=attributes,
        failed_checks=sorted({name for flag in flags for name in (flag or "").split(",") if name}),
        annotators=sorted(name for name in reviewers if name),
    )
