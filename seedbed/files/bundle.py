"""A whole export: select, de-duplicate, split, write the data files, the card and the recipe.

Every file is written atomically (a temporary file, then a rename), so a
failed or interrupted export leaves the previous files as they were and never
a half-written one.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from seedbed.checks import empty_fields
from seedbed.conversations import is_conversation, turns
from seedbed.duplicates.contamination import NGRAM, contamination_report
from seedbed.errors import ExportError
from seedbed.files import records as export
from seedbed.files.card import CardFacts, DataFile, Measure, describe_filter, render_card
from seedbed.files.formats import PreferenceRecord
from seedbed.files.recipe import RECIPE_FILE, build_recipe, recipe_json
from seedbed.files.splits import (
    NEAR_THRESHOLD,
    THRESHOLDS,
    DedupMode,
    deduplicate,
    stratified_split,
)
from seedbed.models import ACCEPTED, Candidate, CandidateFilter, Project, Strict, utcnow
from seedbed.review.auto import decided_alone
from seedbed.review.preferences import iter_preference_pairs
from seedbed.store.core import Store

if TYPE_CHECKING:
    from seedbed.insights.embeddings import Progress


class ExportOptions(Strict):
    formats: list[str] = Field(default_factory=lambda: ["alpaca"], min_length=1)
    where: CandidateFilter = Field(default_factory=lambda: ACCEPTED.model_copy(deep=True))
    dedup: DedupMode = "none"
    near_threshold: float = Field(default=NEAR_THRESHOLD, ge=0, le=100)
    # Jaccard (minhash) or cosine (semantic); None: the mode's default (splits.THRESHOLDS).
    similarity_threshold: float | None = Field(default=None, ge=0, le=1)
    # An evaluation set to check the export against (seedbed/duplicates/contamination.py).
    eval_items: list[str] = Field(default_factory=list)
    eval_name: str = ""
    eval_ngram: int = Field(default=NGRAM, ge=1)
    validation_fraction: float = Field(default=0.0, ge=0, lt=1)
    seed: int = 0
    system_prompt: str = ""
    license: str = "unknown"


@dataclass
class PlannedItem:
    candidate: Candidate
    label: str | None
    key: str  # what de-duplication compares: instruction and input, or the text


@dataclass
class ExportPlan:
    options: ExportOptions
    items: dict[int, PlannedItem]
    splits: dict[str, list[int]]
    duplicates: dict[int, int] = field(default_factory=dict)
    # Selected but left out: a required field is empty (seedbed.checks.empty_fields).
    empty: list[int] = field(default_factory=list)
    # Exported items an AI judge decided alone (seedbed.review.auto).
    automatic: set[int] = field(default_factory=set)

    def file_name(self, fmt: str, split: str) -> str:
        return f"{fmt}.jsonl" if len(self.splits) == 1 else f"{fmt}-{split}.jsonl"


def dedup_key(content: dict[str, str]) -> str:
    """What de-duplication compares: the text, a conversation's user turns, else the prompt."""
    if is_conversation(content):
        return "\n".join(text for role, text in turns(content) if role == "user")
    return content.get("text") or export.user_turn(
        content.get("instruction", ""), content.get("input", "")
    )


def check_formats(project: Project, options: ExportOptions) -> None:
    """Raise ExportError for a format this project cannot give (classification needs labels)."""
    unfit = [fmt for fmt in options.formats if fmt not in export.formats_for(project)]
    if unfit:
        known = ", ".join(export.formats_for(project))
        raise ExportError(f"Format {', '.join(unfit)} does not fit this project (use {known}).")


def plan_export(
    store: Store,
    project: Project,
    options: ExportOptions,
    on_progress: Progress | None = None,
) -> ExportPlan:
    """Which candidates go to which split, after the filter and de-duplication.

    A candidate with an empty required field is not data: it is left out, and
    counted in the plan's `empty`. `on_progress(what, done, todo)` hears how the
    embedding of new texts goes (semantic de-duplication).
    """
    planned, empty = [], []
    # One read of the selection: every file is written from this snapshot.
    for candidate in store.iter_candidates(project.id, options.where):
        content = candidate.final_content
        if empty_fields(content):
            empty.append(candidate.id)
            continue
        label = content.get("label") or candidate.label
        planned.append(PlannedItem(candidate, label, dedup_key(content)))
    threshold = options.near_threshold if options.dedup == "near" else options.similarity_threshold
    kept, dropped = deduplicate(
        [(item.candidate.id, item.key) for item in planned],
        options.dedup,
        threshold,
        embed=lambda texts: _embed(store, texts, on_progress),
    )
    items = {item.candidate.id: item for item in planned if item.candidate.id not in dropped}
    train, validation = stratified_split(
        [(item_id, items[item_id].label) for item_id in kept],
        options.validation_fraction,
        options.seed,
    )
    splits = {"train": train} | ({"validation": validation} if validation else {})
    automatic = decided_alone(store, project.id) & set(items)
    return ExportPlan(options, items, splits, dropped, empty, automatic)


def _embed(store: Store, texts: list[str], on_progress: Progress | None):
    from seedbed.insights.embeddings import embed_texts, reporting  # the model loads when asked

    report = reporting(on_progress, "texts to de-duplicate")
    return embed_texts(texts, store, on_progress=report)


def count_empty(store: Store, project: Project, where: CandidateFilter) -> int:
    """How many candidates `where` selects that an export would leave out as empty."""
    selected = store.iter_candidates(project.id, where)
    return sum(1 for candidate in selected if empty_fields(candidate.final_content))


TABLE_PAIR_SOURCE = "comparisons judged in preference mode on the Review page (verdict: better)"


def preference_files(
    store: Store, project: Project, plan: ExportPlan
) -> tuple[str, dict[str, list[PreferenceRecord]]]:
    """(where the pairs come from, pairs by split).

    Judged pairs win over decision pairs when the project has any; they are split by pair
    with the plan's fraction and seed. Otherwise accepted and rejected answers of one
    prompt are paired, and a pair follows its chosen candidate's split. Pairs made from
    reviewers' edits join either, each in its candidate's split, marked source "edit".
    """
    split_of = {item_id: split for split, ids in plan.splits.items() for item_id in ids}
    by_split: dict[str, list[PreferenceRecord]] = {split: [] for split in plan.splits}
    sources = []
    judged = _judged_pairs(store, project, plan)
    if judged:
        sources.append(TABLE_PAIR_SOURCE)
        for split, records in judged.items():
            by_split[split].extend(records)
    else:
        pairs = export.preference_pairs(store, project, plan.options.where, set(plan.items))
        for chosen_id, pair in pairs:
            by_split[split_of[chosen_id]].append(pair)
        sources.append(export.PAIR_SOURCE)
    edits = export.edit_pairs(store, project, plan.options.where, set(plan.items))
    for candidate_id, pair in edits:
        by_split[split_of[candidate_id]].append(pair)
    if edits or not (judged or any(by_split.values())):
        sources.append(export.EDIT_PAIR_SOURCE)
    return "; and ".join(sources), by_split


def _judged_pairs(
    store: Store, project: Project, plan: ExportPlan
) -> dict[str, list[PreferenceRecord]]:
    """Pairs an annotator judged in preference mode ("better" verdicts only), by split."""
    judged = [
        (
            row["id"],
            PreferenceRecord(prompt=row["prompt"], chosen=row["chosen"], rejected=row["rejected"]),
        )
        for row in iter_preference_pairs(store, project.id)
    ]
    if not judged:
        return {}
    # Split like the candidates: no validation file when they have none.
    fraction = plan.options.validation_fraction if "validation" in plan.splits else 0.0
    ids = [(pair_id, None) for pair_id, _ in judged]
    train, validation = stratified_split(ids, fraction, plan.options.seed)
    by_id = dict(judged)
    pairs_by_split = {"train": [by_id[i] for i in train]}
    if "validation" in plan.splits:
        pairs_by_split["validation"] = [by_id[i] for i in validation]
    return pairs_by_split


def data_files(
    store: Store, project: Project, plan: ExportPlan, facts: CardFacts | None = None
) -> Iterator[tuple[DataFile, Iterator[str]]]:
    """Each data file of the export and its lines; notes the pairs' source in `facts`."""
    provenance = export.Provenance(store, project) if "raw" in plan.options.formats else None
    for fmt in plan.options.formats:
        if fmt == "preference":
            source, pairs = preference_files(store, project, plan)
            if facts is not None:
                facts.pair_source = source
            for split, records in pairs.items():
                if not records:  # an empty JSONL file is not a data set (datasets fails on it)
                    continue
                lines = (export.dumps(record.model_dump()) for record in records)
                yield DataFile(plan.file_name(fmt, split), fmt, split, 0), lines
            continue
        for split, ids in plan.splits.items():
            candidates = (plan.items[item_id].candidate for item_id in ids)
            lines = export.export_lines(
                candidates, project, fmt, plan.options.system_prompt, provenance
            )
            yield DataFile(plan.file_name(fmt, split), fmt, split, 0), lines


def _facts(project: Project, plan: ExportPlan, measure: Measure | None) -> CardFacts:
    options = plan.options
    similar = THRESHOLDS.get(options.dedup, 0.0)
    if options.similarity_threshold is not None:
        similar = options.similarity_threshold
    dedup = {
        "none": "none",
        "exact": "exact duplicates (case and whitespace ignored) removed",
        "near": f"near duplicates (rapidfuzz ratio at least {options.near_threshold:g}) removed",
        "minhash": f"exact duplicates and MinHash near duplicates (Jaccard similarity of word "
        f"3-grams at least {similar:g}) removed",
        "semantic": f"exact duplicates and semantic duplicates (cosine of all-MiniLM-L6-v2 "
        f"embeddings at least {similar:g}) removed",
    }[options.dedup]
    if options.dedup != "none":
        dedup += f"; {len(plan.duplicates)} dropped, comparing instruction and input (or text)"
    split = "all records in train"
    if "validation" in plan.splits:
        split = (
            f"{options.validation_fraction:.0%} held out for validation, stratified by label, "
            f"seed {options.seed}"
        )
    facts = CardFacts(
        project, utcnow(), options.license, describe_filter(options.where), dedup, split
    )
    facts.left_out_empty = len(plan.empty)
    facts.decided_alone = len(plan.automatic)
    if options.eval_items:
        kept = [(i, plan.items[i].key) for ids in plan.splits.values() for i in ids]
        report = contamination_report(kept, options.eval_items, options.eval_ngram)
        facts.contamination = f"{report.summary()}, evaluation set {options.eval_name or 'given'}"
    for name, ids in plan.splits.items():
        facts.split_counts[name] = len(ids)
        facts.labels[name] = Counter(plan.items[i].label or "" for i in ids)
    for item in plan.items.values():
        facts.methods[item.candidate.method] += 1
        facts.models[item.candidate.model] += 1
        for dimension, value in item.candidate.attributes.items():
            facts.attributes.setdefault(dimension, Counter())[value] += 1
    if measure is not None:
        texts = [item.candidate.text for item in plan.items.values()]
        facts.aps, facts.measured = measure(texts), len(texts)
        by_label: dict[str, list[str]] = {}
        for item in plan.items.values():
            if item.label:
                by_label.setdefault(item.label, []).append(item.candidate.text)
        if len(by_label) > 1:  # within-label similarity: where a class collapses
            facts.label_aps = {label: measure(group) for label, group in sorted(by_label.items())}
    return facts


MIME_TYPES = {"jsonl": "application/jsonl", "json": "application/json", "md": "text/markdown"}


def file_label(name: str, text: str) -> str:
    """A file's name, with its record count for a data file: "alpaca.jsonl (1 record)"."""
    if not name.endswith(".jsonl"):
        return name
    records = text.count("\n")
    return f"{name} ({records:,} record{'' if records == 1 else 's'})"


class MemorySink:
    """Files kept in memory, for the browser's download buttons."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write(self, name: str, chunks: Iterable[str]) -> int:
        parts = list(chunks)
        self.files[name] = "".join(parts)
        return len(parts)

    def zip_bytes(self) -> bytes:
        """Every file in one zip archive."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in self.files.items():
                archive.writestr(name, text.encode("utf-8"))
        return buffer.getvalue()


def write_export(
    store: Store,
    project: Project,
    options: ExportOptions,
    sink,
    measure: Measure | None = None,
    on_progress: Progress | None = None,
) -> CardFacts:
    """Write the data files, then README.md and recipe.json, to `sink`; returns the card's
    facts. `on_progress` as for `plan_export`."""
    check_formats(project, options)
    plan = plan_export(store, project, options, on_progress)
    if not plan.items:
        why = "No candidate matches the selection"
        if plan.empty:
            why = f"All {len(plan.empty)} selected candidates have an empty output or text"
        raise ExportError(f"{why}: there is nothing to export.")
    facts = _facts(project, plan, measure)
    for data_file, lines in data_files(store, project, plan, facts):
        data_file.records = sink.write(data_file.name, lines)
        facts.files.append(data_file)
    sink.write("README.md", [render_card(facts)])
    sink.write(RECIPE_FILE, [recipe_json(build_recipe(store, project))])
    return facts


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` that replaces it when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def atomic_write(path: Path, chunks: Iterable[str]) -> int:
    """Write `chunks` to `path` through a temporary file and a rename; returns the chunk count."""
    count = 0
    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as out:
        for chunk in chunks:
            out.write(chunk)
            count += 1
        out.flush()
        os.fsync(out.fileno())
    return count


class ZipSink:
    """Files streamed into an open zip archive."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def write(self, name: str, chunks: Iterable[str]) -> int:
        count = 0
        with self.archive.open(name, "w") as entry:
            for chunk in chunks:
                entry.write(chunk.encode("utf-8"))
                count += 1
        return count


class DirectorySink:
    """Files written into a staging folder beside `target`, moved in only when all succeeded."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".seedbed-export-", dir=target.parent))

    def write(self, name: str, chunks: Iterable[str]) -> int:
        return atomic_write(self.staging / name, chunks)

    def commit(self) -> list[Path]:
        self.target.mkdir(parents=True, exist_ok=True)
        moved = []
        for path in sorted(self.staging.iterdir()):
            os.replace(path, self.target / path.name)
            moved.append(self.target / path.name)
        return moved

    def close(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def export_to_path(
    store: Store,
    project: Project,
    options: ExportOptions,
    out: Path,
    measure: Measure | None = None,
) -> tuple[list[Path], CardFacts]:
    """Write the export into the folder `out`, or into `out` as a zip when it ends in .zip.

    Returns the files written and the card's facts. Nothing in `out` changes
    unless every file was written.
    """
    if out.suffix.lower() == ".zip":
        with (
            atomic_path(out) as temporary,
            zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            facts = write_export(store, project, options, ZipSink(archive), measure)
        return [out], facts
    sink = DirectorySink(out)
    try:
        facts = write_export(store, project, options, sink, measure)
        return sink.commit(), facts
    finally:
        sink.close()
