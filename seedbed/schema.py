"""Database tables and the ordered list of migrations that create them.

A migration is applied once and recorded in `schema_migrations`; never edit one
that has shipped, add a new one at the end instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
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
]


def applied_versions(conn: Connection) -> set[int]:
    schema_migrations.create(conn, checkfirst=True)
    return set(conn.execute(select(schema_migrations.c.version)).scalars())


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction.

    Returns the versions applied now. `up_to` stops early (used by tests that
    build an old database).
    """
    applied_now = []
    for version, name, apply in MIGRATIONS:
        if up_to is not None and version > up_to:
            break
        with engine.begin() as conn:
            if version in applied_versions(conn):
                continue
            apply(conn)
            conn.execute(
                schema_migrations.insert().values(
                    version=version, name=name, applied_at=datetime.now(UTC)
                )
            )
        applied_now.append(version)
    return applied_now
