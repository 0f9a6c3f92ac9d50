"""The ordered migrations that create and extend the tables of seedbed/store/schema.py.

A migration is applied once and recorded in `schema_migrations`; never edit one
that has shipped, add a new one at the end instead. Nothing here reads today's
constants of other modules: what a shipped migration writes is written out in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, inspect, select, text
from sqlalchemy.exc import DBAPIError

from seedbed.store.schema import (
    CANDIDATE_FILTER_INDEXES,
    REVIEW_INDEXES,
    attribute_dimensions,
    backend_settings,
    candidates,
    embeddings,
    failed_check_flags,
    job_batches,
    job_requests,
    jobs,
    judge_scores,
    model_prices,
    overlap_queue,
    preference_pairs,
    projects,
    review_claims,
    review_settings,
    reviews,
    schema_migrations,
    seed_tasks,
)


def _create(*tables: Table) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)

    return apply


def _add_missing_columns(table: Table, names: list[str]) -> Callable[[Connection], None]:
    """ALTER TABLE ... ADD COLUMN for each named column an older database lacks.

    Migration 1 creates tables from today's definitions, so on a fresh database
    the columns are already there and this does nothing.
    """

    def apply(conn: Connection) -> None:
        present = {column["name"] for column in inspect(conn).get_columns(table.name)}
        for name in names:
            if name in present:
                continue
            column = table.c[name]
            ddl = f"ALTER TABLE {table.name} ADD COLUMN {name} "
            ddl += column.type.compile(dialect=conn.dialect)
            if column.server_default is not None:
                ddl += f" NOT NULL DEFAULT '{column.server_default.arg}'"
            conn.execute(text(ddl))

    return apply


def _candidate_filters(conn: Connection) -> None:
    _add_missing_columns(candidates, ["job_id", "flags", "reviewed_by", "reviewed_at"])(conn)
    for index in CANDIDATE_FILTER_INDEXES:
        index.create(conn, checkfirst=True)
    # Fill the new columns from what older versions stored.
    rows = conn.execute(select(candidates.c.id, candidates.c.checks)).all()
    for row in rows:
        conn.execute(
            candidates.update()
            .where(candidates.c.id == row.id)
            .values(flags=failed_check_flags(row.checks))
        )
    latest = select(reviews.c.candidate_id, reviews.c.annotator, reviews.c.created_at).order_by(
        reviews.c.id
    )
    for review in conn.execute(latest).all():
        conn.execute(
            candidates.update()
            .where(candidates.c.id == review.candidate_id)
            .values(reviewed_by=review.annotator, reviewed_at=review.created_at)
        )


# The price table as version 4 shipped it (US dollars per million tokens). Frozen: the
# user edits prices in the app, and seedbed/jobs/pricing.py's defaults may change later
# without rewriting what this migration did.
_PRICES_V4 = [
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("SmolLM2-135M-Instruct", 0.0, 0.0),
]


def _generation_jobs(conn: Connection) -> None:
    _add_missing_columns(candidates, ["lineage"])(conn)
    _create(jobs, job_requests, model_prices)(conn)
    if conn.execute(select(model_prices.c.model).limit(1)).first() is None:
        rows = [
            {"model": model, "prompt_usd_per_mtok": prompt, "completion_usd_per_mtok": completion}
            for model, prompt, completion in _PRICES_V4
        ]
        conn.execute(model_prices.insert(), rows)


def _review_workflow(conn: Connection) -> None:
    _add_missing_columns(candidates, ["version"])(conn)
    _add_missing_columns(reviews, ["reason", "version", "undoes_id", "undone"])(conn)
    _create(review_claims, overlap_queue, review_settings, preference_pairs, judge_scores)(conn)
    for index in REVIEW_INDEXES:
        index.create(conn, checkfirst=True)


def _ray_cluster(conn: Connection) -> None:
    """Jobs once queued for `seedbed worker` processes run on the Ray cluster now."""
    _add_missing_columns(job_requests, ["node"])(conn)
    for job_id, settings in conn.execute(select(jobs.c.id, jobs.c.settings)).all():
        if "workers" not in settings:
            continue
        changed = {k: v for k, v in settings.items() if k != "workers"}
        changed["cluster"] = bool(settings["workers"])
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(settings=changed))


def _several_judges(conn: Connection) -> None:
    """Judge scores keyed by candidate and model; automatic decisions; judge settings."""
    _add_missing_columns(reviews, ["automatic"])(conn)
    _add_missing_columns(review_settings, ["judge_accept_at", "auto_kappa"])(conn)
    key = inspect(conn).get_pk_constraint(judge_scores.name)["constrained_columns"]
    if "model" in key:
        return  # created by migration 5 from today's definition
    rows = [dict(row) for row in conn.execute(select(judge_scores)).mappings()]
    judge_scores.drop(conn)
    judge_scores.create(conn)
    if rows:
        conn.execute(judge_scores.insert(), rows)


# (version, name, apply). Append only.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (
        1,
        "projects, seeds, attributes, candidates, reviews",
        _create(projects, seed_tasks, attribute_dimensions, candidates, reviews),
    ),
    (2, "embedding cache keyed by content hash", _create(embeddings)),
    (3, "candidate filter columns: job, failed checks, reviewer", _candidate_filters),
    (4, "generation jobs, their requests, model prices; candidate lineage", _generation_jobs),
    (5, "review workflow: versions, reasons, undo, claims, preferences, judge", _review_workflow),
    (6, "provider batches of generation jobs", _create(job_batches)),
    (7, "each user's backend settings", _create(backend_settings)),
    (8, "jobs on a Ray cluster: the node that served each request", _ray_cluster),
    (9, "a project's label phrase", _add_missing_columns(projects, ["label_phrase"])),
    (10, "several judges per candidate, automatic decisions, judge settings", _several_judges),
    (11, "a project's similar labels", _add_missing_columns(projects, ["similar_labels"])),
]


def applied_versions(conn: Connection) -> set[int]:
    schema_migrations.create(conn, checkfirst=True)
    return set(conn.execute(select(schema_migrations.c.version)).scalars())


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction.

    Returns the versions applied now. `up_to` stops early (used by tests that
    build an old database). Several processes may start on the same new database
    at once (app replicas, workers): the one that loses the race for a migration
    rolls back, sees it recorded by the other, and goes on.
    """
    applied_now = []
    for version, name, apply in MIGRATIONS:
        if up_to is not None and version > up_to:
            break
        if _apply_once(engine, version, name, apply):
            applied_now.append(version)
    return applied_now


def _apply_once(
    engine: Engine, version: int, name: str, apply: Callable[[Connection], None]
) -> bool:
    """Apply one migration unless it is recorded; True when this call applied it."""
    for attempt in range(_MIGRATION_ATTEMPTS):
        try:
            with engine.begin() as conn:
                if version in applied_versions(conn):
                    return False
                apply(conn)
                conn.execute(
                    schema_migrations.insert().values(
                        version=version, name=name, applied_at=datetime.now(UTC)
                    )
                )
            return True
        except DBAPIError:
            # Most likely another process applied it at the same moment (its tables
            # appeared between our check and our CREATE); DDL rolled back with us.
            time.sleep(0.1 * (attempt + 1))
            with engine.connect() as conn:
                if version in applied_versions(conn):
                    return False
            if attempt == _MIGRATION_ATTEMPTS - 1:
                raise
    return False


_MIGRATION_ATTEMPTS = 5
