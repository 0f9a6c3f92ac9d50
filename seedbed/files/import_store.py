"""Storing imported records as candidates: fitted to the project, written in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from seedbed.files.formats import RawRecord
from seedbed.files.importers import Example, ParsedFile
from seedbed.files.lines import LineError
from seedbed.models import Candidate, CandidateStatus, Project, ProjectKind, Review, utcnow
from seedbed.store import schema as t
from seedbed.store.core import Store, _candidate_row

IMPORT_METHOD = "import"


def candidates_count(n: int) -> str:
    """The count with its noun: 1 candidate, 2,500 candidates."""
    return f"{n:,} candidate" + ("" if n == 1 else "s")


@dataclass
class ImportItem:
    """A candidate ready to insert and its review history (oldest first)."""

    candidate: Candidate
    reviews: list[Review] = field(default_factory=list)
    source_id: int | None = None  # its id in the database a raw export came from


def _fit_content(content: dict[str, str], project: Project) -> tuple[dict[str, str], str | None]:
    """Content shaped for the project's kind, and its label; ValueError when it cannot fit."""
    if project.kind == ProjectKind.CLASSIFICATION:
        if "text" in content:
            text, label = content["text"], content.get("label", "")
        else:  # Alpaca-style classification: the text is the input, the label the output
            text = content.get("input") or content.get("instruction", "")
            label = content.get("output", "").strip()
        if label not in project.labels:
            raise ValueError(
                f"'{label}' is not a label of this project ({', '.join(project.labels)})"
            )
        return {"text": text, "label": label}, label
    if "text" in content:
        raise ValueError(
            "this is classification data (text, label); the project wants instructions"
        )
    return content, None


def _example_item(
    example: Example, project: Project, status: CandidateStatus, annotator: str, source: str
) -> ImportItem:
    content, label = _fit_content(example.content, project)
    now = utcnow()
    decided = status != CandidateStatus.PENDING
    candidate = Candidate(
        project_id=project.id,
        content=content,
        method=IMPORT_METHOD,
        label=label,
        attributes=example.attributes,
        params={"source": source},
        status=status,
        created_at=now,
        reviewed_by=annotator if decided else None,
        reviewed_at=now if decided else None,
    )
    if not decided:
        return ImportItem(candidate)
    review = Review(candidate_id=0, decision=status.value, annotator=annotator, created_at=now)
    return ImportItem(candidate, [review])


def _raw_item(record: RawRecord, project: Project) -> ImportItem:
    content, label = _fit_content(record.content, project)
    if record.edited_content is not None:
        _fit_content(record.edited_content, project)
    data = record.model_dump(exclude={"project", "seed_ids", "reviews"})
    # Job ids name jobs of the database the record came from, not of this one.
    data.update(id=None, project_id=project.id, job_id=None, label=record.label or label)
    candidate = Candidate.model_validate(data)
    reviews = [Review(**review.model_dump(), candidate_id=0) for review in record.reviews]
    return ImportItem(candidate, reviews, source_id=record.id)


def import_items(
    parsed: ParsedFile,
    project: Project,
    status: CandidateStatus = CandidateStatus.PENDING,
    annotator: str = "import",
    source: str = "",
) -> tuple[list[ImportItem], list[LineError]]:
    """Candidates for `project` from a parsed file, and the parse and fit errors by line.

    Examples become `status` candidates of method "import" (a decided status
    records a review by `annotator`); raw records keep their status, edits and
    review history.
    """
    items: list[ImportItem] = []
    errors = list(parsed.errors)
    if parsed.fmt == "seed_tasks":
        errors.append(LineError(0, "seed tasks are imported on the Seeds page, not as candidates"))
        return items, errors
    for number, record in enumerate(parsed.records, start=1):
        line = record.line if isinstance(record, Example) else number
        try:
            if isinstance(record, RawRecord):
                items.append(_raw_item(record, project))
            else:
                items.append(_example_item(record, project, status, annotator, source))
        except ValueError as error:
            errors.append(LineError(line, str(error)))
    errors.sort(key=lambda error: error.line)
    return items, errors


# Lineage keys that name another candidate: renumbered when both come in together.
LINKED_LINEAGE_KEYS = ("parent_id", "source_id")


def insert_items(conn: Connection, project_id: int, items: Sequence[ImportItem]) -> list[int]:
    """Insert candidates and their reviews on an open transaction; returns the new ids.

    Ids inside the items (a raw export's candidate and review ids) are renumbered:
    lineage links to another imported candidate and undo rows follow their targets.
    """
    rows = [
        _candidate_row(item.candidate.model_copy(update={"project_id": project_id}))
        for item in items
    ]
    if not rows:
        return []
    c = t.candidates.c
    result = conn.execute(insert(t.candidates).returning(c.id, sort_by_parameter_order=True), rows)
    ids = [row.id for row in result]
    new_id = {item.source_id: ids[n] for n, item in enumerate(items) if item.source_id}
    for candidate_id, item in zip(ids, items, strict=True):
        lineage = dict(item.candidate.lineage)
        linked = {
            k: new_id[v] for k, v in lineage.items() if k in LINKED_LINEAGE_KEYS and v in new_id
        }
        if linked:
            conn.execute(
                update(t.candidates).where(c.id == candidate_id).values(lineage=lineage | linked)
            )
    _insert_reviews(conn, ids, items)
    return ids


def _insert_reviews(conn: Connection, ids: Sequence[int], items: Sequence[ImportItem]) -> None:
    reviews = [
        (review, candidate_id)
        for candidate_id, item in zip(ids, items, strict=True)
        for review in item.reviews
    ]
    if not reviews:
        return
    rows = [review.model_dump(exclude={"id"}) | {"candidate_id": cid} for review, cid in reviews]
    r = t.reviews.c
    result = conn.execute(insert(t.reviews).returning(r.id, sort_by_parameter_order=True), rows)
    new_id = {review.id: row.id for (review, _), row in zip(reviews, result, strict=True)}
    for review, _ in reviews:
        target = review.undoes_id
        if target is not None:
            conn.execute(
                update(t.reviews)
                .where(r.id == new_id[review.id])
                .values(undoes_id=new_id.get(target))
            )


def store_items(store: Store, project_id: int, items: Sequence[ImportItem]) -> list[int]:
    """Insert every item in one transaction: all of them land or none."""
    with store.engine.begin() as conn:
        return insert_items(conn, project_id, items)
