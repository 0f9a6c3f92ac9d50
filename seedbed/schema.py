"""Database tables and the ordered list of migrations that create them.

A migration is applied once and recorded in `schema_migrations`; never edit one
that has shipped, add a new one at the end instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("labels", JSON, nullable=False),
    Column("item_name", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

seed_tasks = Table(
    "seed_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("instruction", Text, nullable=False),
    Column("instances", JSON, nullable=False),
    Column("is_classification", Boolean, nullable=False, default=False),
    Index("ix_seed_tasks_project", "project_id", "position"),
)

attribute_dimensions = Table(
    "attribute_dimensions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("attr_values", JSON, nullable=False),
    Column("per_label", JSON, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_dimension_name"),
)

candidates = Table(
    "candidates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(64), nullable=False),
    Column("label", String(200)),
    Column("content", JSON, nullable=False),
    Column("edited_content", JSON),
    Column("attributes", JSON, nullable=False),
    Column("prompt", JSON, nullable=False),
    Column("model", String(200), nullable=False, default=""),
    Column("params", JSON, nullable=False),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("checks", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added by migration 3, for filters that must not read every row.
    Column("job_id", Integer),
    Column("flags", String(500), nullable=False, default="", server_default=""),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", DateTime(timezone=True)),
    # Added by migration 5: bumped by every decision, so a stale one is refused.
    Column("version", Integer, nullable=False, default=0, server_default="0"),
    # Added by migration 4: where a candidate came from (parent, operation, request).
    Column("lineage", JSON, nullable=False, default=dict, server_default="{}"),
    Index("ix_candidates_project_status", "project_id", "status", "id"),
)
CANDIDATE_FILTER_INDEXES = [
    Index("ix_candidates_project_method", candidates.c.project_id, candidates.c.method),
    Index("ix_candidates_project_label", candidates.c.project_id, candidates.c.label),
    Index("ix_candidates_project_job", candidates.c.project_id, candidates.c.job_id),
]

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("edited_content", JSON),
    Column("annotator", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added by migration 5: why a rejection, the candidate version a decision made,
    # and undo (an "undo" row names the decision it reverses, which is marked undone).
    Column("reason", Text),
    Column("version", Integer),
    Column("undoes_id", Integer),
    Column("undone", Boolean, nullable=False, default=False, server_default="0"),
    Index("ix_reviews_candidate", "candidate_id"),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# -- added by migration 5: the review workflow -----------------------------
# One row per candidate someone is looking at in queue mode; the primary key
# makes a claim atomic across processes, `expires_at` frees an abandoned one.
review_claims = Table(
    "review_claims",
    metadata,
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("owner", String(64), nullable=False),
    Column("annotator", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Candidates decided once that were picked for a second, independent opinion.
overlap_queue = Table(
    "overlap_queue",
    metadata,
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("first_annotator", String(200), nullable=False),
    Index("ix_overlap_queue_project", "project_id", "candidate_id"),
)

review_settings = Table(
    "review_settings",
    metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("overlap", Float, nullable=False, default=0.0),
)

# A human comparison of two completions of one prompt. verdict "better": `chosen`
# was preferred; "tie" and "both_bad": chosen/rejected are just the two sides.
preference_pairs = Table(
    "preference_pairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("chosen", Text, nullable=False),
    Column("rejected", Text, nullable=False),
    Column("chosen_id", ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("rejected_id", ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("annotator", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_preference_pairs_project", "project_id", "id"),
)

# Advisory scores of an LLM judge (1-5); the human decision is the only one that counts.
judge_scores = Table(
    "judge_scores",
    metadata,
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, nullable=False),
    Column("helpfulness", Float),
    Column("correctness", Float),
    Column("instruction_following", Float),
    Column("overall", Float),
    Column("model", String(200), nullable=False, default=""),
    Column("error", Text),
    Column("reply", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_judge_scores_project_overall", "project_id", "overall"),
)
REVIEW_INDEXES = [Index("ix_reviews_annotator", reviews.c.annotator, reviews.c.id)]

# -- added by migration 4: generation jobs ---------------------------------
# A run of a method. `settings` is seedbed.jobs.JobSettings (model names and base
# URLs, never a key); `owner` and `heartbeat_at` tell a live run from a dead one.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("method", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("message", Text),  # why it ended as it did: failure, budget, shortfall
    Column("rounds", Integer, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("owner", String(200)),
    Column("elapsed_seconds", Float, nullable=False, default=0.0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_jobs_project", "project_id", "id"),
)

# Every chat request of a job, persisted before it is sent: `request` is a
# seedbed.methods.base.Request; a reply marks it done in the same transaction
# that stores its candidates and follow-ups, so a resume neither loses nor repeats.
job_requests = Table(
    "job_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("key", String(500), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("request", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("note", Text, nullable=False, default=""),
    Column("model", String(200), nullable=False, default=""),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("cost_usd", Float),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    UniqueConstraint("job_id", "key", name="uq_job_request_key"),
    Index("ix_job_requests_job_status", "job_id", "status", "id"),
)

# US dollars per million tokens, by model name (a prefix matches dated names).
model_prices = Table(
    "model_prices",
    metadata,
    Column("model", String(200), primary_key=True),
    Column("prompt_usd_per_mtok", Float, nullable=False),
    Column("completion_usd_per_mtok", Float, nullable=False),
)

# -- added by migration 6: provider batches (OpenAI's Batch API) -------------
# One submitted batch of a job's requests (seedbed/batch.py): the provider's batch
# and file ids, so a restarted run picks up the batch instead of sending again.
# status: open (submitted, results not all stored yet), done, failed, or
# unsupported (the server has no Batch API: the job sent its requests directly).
job_batches = Table(
    "job_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("endpoint", String(500), nullable=False, default=""),
    Column("model", String(200), nullable=False, default=""),
    Column("batch_id", String(200)),
    Column("input_file_id", String(200)),
    Column("output_file_id", String(200)),
    Column("error_file_id", String(200)),
    Column("provider_status", String(32), nullable=False, default=""),
    Column("request_ids", JSON, nullable=False),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_job_batches_job", "job_id", "status"),
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


def _generation_jobs(conn: Connection) -> None:
    from seedbed.pricing import DEFAULT_PRICES  # shipped prices; the user edits them later

    _add_missing_columns(candidates, ["lineage"])(conn)
    _create(jobs, job_requests, model_prices)(conn)
    if conn.execute(select(model_prices.c.model).limit(1)).first() is None:
        conn.execute(model_prices.insert(), [price.model_dump() for price in DEFAULT_PRICES])


def _review_workflow(conn: Connection) -> None:
    _add_missing_columns(candidates, ["version"])(conn)
    _add_missing_columns(reviews, ["reason", "version", "undoes_id", "undone"])(conn)
    _create(review_claims, overlap_queue, review_settings, preference_pairs, judge_scores)(conn)
    for index in REVIEW_INDEXES:
        index.create(conn, checkfirst=True)


def failed_check_flags(checks: list[dict]) -> str:
    """Names of failed checks as ",a,b," so `LIKE '%,a,%'` finds them."""
    names = [check["name"] for check in checks if not check.get("passed", True)]
    return f",{','.join(names)}," if names else ""


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
