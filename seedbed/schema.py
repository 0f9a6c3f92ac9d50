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
    select,
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
    Index("ix_candidates_project_status", "project_id", "status", "id"),
)

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


# (version, name, apply). Append only.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (
        1,
        "projects, seeds, attributes, candidates, reviews",
        _create(projects, seed_tasks, attribute_dimensions, candidates, reviews),
    ),
    (2, "embedding cache keyed by content hash", _create(embeddings)),
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
