"""The embedded store: SQLAlchemy Core over SQLite (WAL) by default, any DATABASE_URL too.

Every write runs in its own transaction and is committed before the call
returns, so what a user did is on disk the moment the function is done.
Reads that can grow with the data are paginated.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from seedbed.errors import ReviewConflict, StoreError
from seedbed.models import (
    AttributeDimension,
    Candidate,
    CandidateFilter,
    CandidateStatus,
    Project,
    Review,
    SeedTask,
)
from seedbed.store import schema as t
from seedbed.store.faults import watch_storage
from seedbed.store.migrations import migrate

DEFAULT_DB_PATH = Path("data") / "seedbed.db"
SORT_COLUMNS = ("id", "created_at", "reviewed_at", "status", "method", "label")


def database_url(path: Path | None = None) -> str:
    """DATABASE_URL when set, else the SQLite file (default `data/seedbed.db`)."""
    if path is None and os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    db_path = Path(path or DEFAULT_DB_PATH)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db_path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the UI read while a generation thread writes; busy_timeout waits
    # for a lock instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    # UTF-8 kept as is in JSON columns, so text search finds "café" and "数据".
    engine = create_engine(url, json_serializer=lambda obj: json.dumps(obj, ensure_ascii=False))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    watch_storage(engine)
    return engine


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time with its zone: SQLite hands back naive datetimes, stored in UTC."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class Store:
    """All reads and writes of a Seedbed database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url()
        self.engine = make_engine(self.url)
        migrate(self.engine)

    # -- projects -------------------------------------------------------
    def create_project(self, project: Project) -> int:
        values = project.model_dump(exclude={"id"}, mode="json")
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    insert(t.projects).values(**values, created_at=datetime.now(UTC))
                )
        except IntegrityError as error:
            raise StoreError(f"A project named '{project.name}' already exists.") from error
        return int(result.inserted_primary_key[0])

    def list_projects(self) -> list[Project]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.projects).order_by(t.projects.c.id)).all()
        return [_project(row) for row in rows]

    def get_project(self, project_id: int) -> Project | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.projects).where(t.projects.c.id == project_id)).first()
        return _project(row) if row else None

    def update_project(self, project: Project) -> None:
        values = project.model_dump(exclude={"id"}, mode="json")
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(t.projects).where(t.projects.c.id == project.id).values(**values)
                )
        except IntegrityError as error:
            raise StoreError(f"A project named '{project.name}' already exists.") from error

    def delete_project(self, project_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(t.projects).where(t.projects.c.id == project_id))

    # -- seed tasks -----------------------------------------------------
    def list_seed_tasks(self, project_id: int) -> list[SeedTask]:
        query = (
            select(t.seed_tasks)
            .where(t.seed_tasks.c.project_id == project_id)
            .order_by(t.seed_tasks.c.position, t.seed_tasks.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_seed_task(row) for row in rows]

    def add_seed_tasks(self, project_id: int, tasks: Sequence[SeedTask]) -> int:
        """Append the tasks the project does not hold yet, in one transaction (all of
        them land or none); returns how many were added.

        Idempotent by content (instruction and instances): importing the same file
        twice adds nothing the second time, and a file's repeats are added once.
        """
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(t.seed_tasks).where(t.seed_tasks.c.project_id == project_id)
            ).all()
            seen = {_seed_task(row).content_key() for row in rows}
            new = []
            for task in tasks:
                if task.content_key() not in seen:
                    seen.add(task.content_key())
                    new.append(task)
            insert_seed_tasks(conn, project_id, new, len(rows))
        return len(new)

    def replace_seed_tasks(self, project_id: int, tasks: Sequence[SeedTask]) -> None:
        """Make `tasks` the project's whole seed set, atomically."""
        with self.engine.begin() as conn:
            conn.execute(delete(t.seed_tasks).where(t.seed_tasks.c.project_id == project_id))
            insert_seed_tasks(conn, project_id, tasks)

    # -- attribute dimensions -------------------------------------------
    def list_dimensions(self, project_id: int) -> list[AttributeDimension]:
        query = (
            select(t.attribute_dimensions)
            .where(t.attribute_dimensions.c.project_id == project_id)
            .order_by(t.attribute_dimensions.c.position)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_dimension(row) for row in rows]

    def replace_dimensions(self, project_id: int, dimensions: Sequence[AttributeDimension]):
        """Make `dimensions` the project's attribute set, atomically."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(t.attribute_dimensions).where(
                    t.attribute_dimensions.c.project_id == project_id
                )
            )
            insert_dimensions(conn, project_id, dimensions)

    # -- candidates -----------------------------------------------------
    def add_candidate(self, candidate: Candidate) -> int:
        """Store one generated candidate and commit at once; returns its id."""
        with self.engine.begin() as conn:
            result = conn.execute(insert(t.candidates).values(**_candidate_row(candidate)))
        return int(result.inserted_primary_key[0])

    def get_candidate(self, candidate_id: int) -> Candidate | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.candidates).where(t.candidates.c.id == candidate_id)
            ).first()
        return _candidate(row) if row else None

    def count_by_status(self, project_id: int) -> dict[str, int]:
        query = (
            select(t.candidates.c.status, func.count())
            .where(t.candidates.c.project_id == project_id)
            .group_by(t.candidates.c.status)
        )
        with self.engine.connect() as conn:
            counts = dict(conn.execute(query).all())
        return {status.value: counts.get(status.value, 0) for status in CandidateStatus}

    def list_candidates(
        self,
        project_id: int,
        where: CandidateFilter | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = False,
        sort_by: str = "id",
    ) -> list[Candidate]:
        """One page of matching candidates by `sort_by` (one of SORT_COLUMNS, then id).

        Ascending (oldest first) unless `newest_first`, which reverses the order.
        """
        if sort_by not in SORT_COLUMNS:
            raise ValueError(f"Cannot sort candidates by '{sort_by}'.")
        columns = [t.candidates.c[sort_by], t.candidates.c.id]
        order = [column.desc() if newest_first else column for column in columns]
        query = _candidates_query(project_id, where).order_by(*order)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [_candidate(row) for row in rows]

    def count_candidates(self, project_id: int, where: CandidateFilter | None = None) -> int:
        query = _candidates_query(project_id, where).with_only_columns(func.count())
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def iter_candidates(
        self, project_id: int, where: CandidateFilter | None = None, batch: int = 500
    ) -> Iterator[Candidate]:
        """Every matching candidate, fetched `batch` rows at a time (keyset paging)."""
        last_id = 0
        while True:
            query = (
                _candidates_query(project_id, where)
                .where(t.candidates.c.id > last_id)
                .order_by(t.candidates.c.id)
                .limit(batch)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            yield from (_candidate(row) for row in rows)
            last_id = rows[-1].id

    # -- reviews --------------------------------------------------------
    def record_review(self, review: Review, expected_version: int | None = None) -> int:
        """Store a human decision and update the candidate, in one transaction.

        `expected_version` is the candidate version the annotator saw: if another
        decision changed the candidate since, nothing is written and ReviewConflict
        says what happened. A decision also frees the candidate's queue claim.
        """
        if review.decision == "undo":
            raise StoreError("Undo goes through seedbed.review.curation.undo_last.")
        c = t.candidates.c
        values: dict[str, Any] = {
            "status": review.decision,
            "reviewed_by": review.annotator,
            "reviewed_at": review.created_at,
            "version": c.version + 1,
        }
        if review.edited_content is not None:
            values["edited_content"] = review.edited_content
        query = update(t.candidates).where(c.id == review.candidate_id)
        if expected_version is not None:
            query = query.where(c.version == expected_version)
        with self.engine.begin() as conn:
            version = conn.execute(query.values(values).returning(c.version)).scalar()
            if version is None:
                raise refused_decision(conn, review.candidate_id)
            row = review.model_dump(exclude={"id"}, mode="python") | {"version": version}
            result = conn.execute(insert(t.reviews).values(**row))
            claims = t.review_claims.c
            conn.execute(delete(t.review_claims).where(claims.candidate_id == review.candidate_id))
        return int(result.inserted_primary_key[0])

    def list_reviews(self, candidate_id: int) -> list[Review]:
        query = (
            select(t.reviews)
            .where(t.reviews.c.candidate_id == candidate_id)
            .order_by(t.reviews.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Review(**{**row._mapping, "created_at": as_utc(row.created_at)}) for row in rows]

    # -- embedding cache ------------------------------------------------
    def get_embeddings(self, model: str, hashes: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of `model` among `hashes`, by hash."""
        columns = (t.embeddings.c.content_hash, t.embeddings.c.vector)
        return dict(self._embedding_rows(model, hashes, columns))

    def known_embeddings(self, model: str, hashes: Sequence[str]) -> set[str]:
        """Which of `hashes` have a vector of `model` stored (the vectors are not read)."""
        return {
            row[0] for row in self._embedding_rows(model, hashes, (t.embeddings.c.content_hash,))
        }

    def _embedding_rows(self, model: str, hashes: Sequence[str], columns: tuple) -> list[tuple]:
        found: list[tuple] = []
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):  # SQLite limits the parameters of a query
            query = select(*columns).where(
                t.embeddings.c.model == model,
                t.embeddings.c.content_hash.in_(unique[start : start + 500]),
            )
            with self.engine.connect() as conn:
                found.extend(conn.execute(query).tuples().all())
        return found

    def put_embeddings(self, model: str, vectors: dict[str, bytes], dim: int) -> None:
        rows = [
            {"content_hash": key, "model": model, "dim": dim, "vector": value}
            for key, value in vectors.items()
        ]
        if not rows:
            return
        known = self.known_embeddings(model, list(vectors))
        rows = [row for row in rows if row["content_hash"] not in known]
        if rows:
            # Another thread or process may store the same text's vector between the read
            # above and this write (two Insights checks of the same file): theirs stands.
            dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
            keys = ["content_hash", "model"]
            query = dialect.insert(t.embeddings).on_conflict_do_nothing(index_elements=keys)
            with self.engine.begin() as conn:
                conn.execute(query, rows)


def refused_decision(conn: Any, candidate_id: int) -> StoreError:
    """Why a versioned write to a candidate changed nothing: a conflict, or it is gone."""
    c = t.candidates.c
    query = select(c.status, c.reviewed_by, c.reviewed_at).where(c.id == candidate_id)
    row = conn.execute(query).first()
    if row is None:
        return StoreError(f"Candidate {candidate_id} no longer exists.")
    return ReviewConflict(candidate_id, row.status, row.reviewed_by, row.reviewed_at)


def select_candidates(project_id: int, where: CandidateFilter | None = None) -> Select:
    """SELECT of a project's candidates narrowed by `where`, for core modules to build on."""
    return _candidates_query(project_id, where)


def _candidates_query(project_id: int, where: CandidateFilter | None) -> Select:
    """SELECT candidates of a project narrowed by `where` (None: all of them)."""
    c = t.candidates.c
    query = select(t.candidates).where(c.project_id == project_id)
    if where is None:
        return query
    if where.statuses:
        query = query.where(c.status.in_([status.value for status in where.statuses]))
    for column, values in ((c.method, where.methods), (c.label, where.labels)):
        if values:
            query = query.where(column.in_(values))
    for name, values in where.attributes.items():
        if values:
            query = query.where(c.attributes[name].as_string().in_(values))
    if where.failed_checks:
        query = query.where(or_(*(c.flags.contains(f",{n},") for n in where.failed_checks)))
    if where.flagged is not None:
        query = query.where(c.flags != "" if where.flagged else c.flags == "")
    if where.annotators:
        query = query.where(c.reviewed_by.in_(where.annotators))
    if where.job_ids:
        query = query.where(c.job_id.in_(where.job_ids))
    if where.text:
        query = query.where(
            or_(
                _any_value_holds(c.content, where.text),
                _any_value_holds(c.edited_content, where.text),
            )
        )
    if where.created_after:
        query = query.where(c.created_at >= where.created_after)
    if where.created_before:
        query = query.where(c.created_at < where.created_before)
    if where.ids:
        query = query.where(c.id.in_(where.ids))
    return query


class json_object_values(FunctionElement):
    """The values of a JSON object column as rows of text (keys left out).

    SQLite's json_each and PostgreSQL's json_each_text both unquote string values, so
    a search matches what the user reads, not the JSON text: "output" is a field
    name in every candidate, and a quote is stored as \\".
    """

    name = "json_object_values"
    inherit_cache = True


@compiles(json_object_values)
def _json_each(element: json_object_values, compiler: Any, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_object_values, "postgresql")
def _json_each_text(element: json_object_values, compiler: Any, **kw: Any) -> str:
    # json_each_text refuses a scalar: an unedited candidate's edited_content is JSON null.
    column = compiler.process(element.clauses, **kw)
    guarded = f"CASE WHEN json_typeof({column}) = 'object' THEN {column} ELSE '{{}}'::json END"
    return f"json_each_text({guarded})"


def _any_value_holds(column: Any, text: str) -> Any:
    """True where one value of the JSON object in `column` holds `text`, ignoring case."""
    values = json_object_values(column).table_valued("value").alias("v")
    found = func.lower(values.c.value).contains(text.lower(), autoescape=True)
    return exists(select(1).select_from(values).where(found))


def _project(row: Row) -> Project:
    data = dict(row._mapping)
    data.pop("created_at")
    data["similar_labels"] = data.get("similar_labels") or {}  # NULL before migration 11
    return Project(**data)


def insert_seed_tasks(
    conn: Connection, project_id: int, tasks: Sequence[SeedTask], start: int = 0
) -> None:
    """Add `tasks` to the project's seed set at positions from `start`, in `conn`'s transaction."""
    rows = [
        {
            "project_id": project_id,
            "position": start + offset,
            **task.model_dump(exclude={"id"}, mode="json"),
        }
        for offset, task in enumerate(tasks)
    ]
    if rows:
        conn.execute(insert(t.seed_tasks), rows)


def insert_dimensions(
    conn: Connection, project_id: int, dimensions: Sequence[AttributeDimension]
) -> None:
    """Add `dimensions` to a project that has none, in order, in `conn`'s transaction."""
    names = [dimension.name for dimension in dimensions]
    if len(set(names)) != len(names):
        raise StoreError("Two dimensions have the same name.")
    rows = [
        {
            "project_id": project_id,
            "position": position,
            "name": dimension.name,
            "description": dimension.description,
            "attr_values": [v.model_dump() for v in dimension.values],
            "per_label": {
                label: [v.model_dump() for v in values]
                for label, values in dimension.per_label.items()
            },
        }
        for position, dimension in enumerate(dimensions)
    ]
    if rows:
        conn.execute(insert(t.attribute_dimensions), rows)


def _seed_task(row: Row) -> SeedTask:
    data = dict(row._mapping)
    data.pop("project_id")
    data.pop("position")
    return SeedTask(**data)


def _dimension(row: Row) -> AttributeDimension:
    return AttributeDimension(
        id=row.id,
        name=row.name,
        description=row.description,
        values=row.attr_values,
        per_label=row.per_label,
    )


def _candidate_row(candidate: Candidate) -> dict[str, Any]:
    data = candidate.model_dump(exclude={"id", "usage"}, mode="json")
    data["created_at"] = candidate.created_at
    data["reviewed_at"] = candidate.reviewed_at
    data["flags"] = t.failed_check_flags(data["checks"])
    data["prompt_tokens"] = candidate.usage.prompt_tokens
    data["completion_tokens"] = candidate.usage.completion_tokens
    return data


def _candidate(row: Row) -> Candidate:
    data = dict(row._mapping)
    data["usage"] = {
        "prompt_tokens": data.pop("prompt_tokens"),
        "completion_tokens": data.pop("completion_tokens"),
    }
    data.pop("flags")
    data["created_at"] = as_utc(data["created_at"])
    if data["reviewed_at"] is not None:
        data["reviewed_at"] = as_utc(data["reviewed_at"])
    return Candidate(**data)
