"""The `export` and `import` commands of `python -m seedbed` (wired up in seedbed/cli/main.py)."""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from seedbed.duplicates.contamination import read_eval_file
from seedbed.errors import InputError
from seedbed.files import records as export
from seedbed.files.attribute_files import dimensions_from_files, files_from_zip, merge_dimensions
from seedbed.files.bundle import (
    ExportOptions,
    atomic_write,
    check_formats,
    data_files,
    export_to_path,
    plan_export,
)
from seedbed.files.card import EMPTY_NOTE, embedding_diversity
from seedbed.files.import_store import candidates_count, import_items, store_items
from seedbed.files.importers import IMPORT_FORMATS, detect_format, parse_file, seed_tasks_from
from seedbed.files.recipe import import_project, read_bundle
from seedbed.models import CandidateFilter, CandidateStatus, Project
from seedbed.store.core import Store

ProjectLookup = Callable[[Store, str], Project]


def counted(n: int, noun: str) -> str:
    """The count with its noun: 1 file, 2 files (never "1 files")."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """The `export` and `import` subcommands."""
    out = commands.add_parser(
        "export", help="write candidates in fine-tuning formats, with a dataset card and recipe"
    )
    out.add_argument("--project", required=True)
    out.add_argument(
        "--format", action="append", choices=sorted(export.FORMATS), help="repeat for several"
    )
    out.add_argument(
        "--out", type=Path, required=True, help="a .jsonl file (one format), a .zip, or a folder"
    )
    statuses = [status.value for status in CandidateStatus]
    out.add_argument("--status", action="append", choices=statuses, help="default: accepted")
    for name in ("method", "label", "annotator"):
        out.add_argument(f"--{name}", action="append", default=[], help="repeat for several")
    out.add_argument("--text", default="", help="only candidates containing this text")
    out.add_argument(
        "--dedup", choices=["none", "exact", "near", "minhash", "semantic"], default="none"
    )
    out.add_argument("--near-threshold", type=float, default=90.0, help="rapidfuzz ratio, 0-100")
    out.add_argument(
        "--similarity",
        type=float,
        default=None,
        help="minhash: Jaccard (default 0.7); semantic: cosine (default 0.9)",
    )
    out.add_argument(
        "--eval-set", type=Path, default=None, help="JSONL, CSV or text: the contamination check"
    )
    out.add_argument("--eval-ngram", type=int, default=13, help="shared words that flag a record")
    out.add_argument("--validation", type=float, default=0.0, help="share held out, e.g. 0.1")
    out.add_argument("--seed", type=int, default=0, help="seed of the train/validation split")
    out.add_argument("--system-prompt", default="")
    out.add_argument("--license", default="unknown", help="license named in the dataset card")
    out.add_argument("--no-diversity", action="store_true", help="skip embedding for the card")

    into = commands.add_parser(
        "import", help="import data, seed tasks or attribute values; a recipe makes a new project"
    )
    into.add_argument("file", type=Path, help="a data file, recipe.json, export zip or value files")
    into.add_argument("--project", help="project to import into (not needed for a recipe)")
    kinds = ["auto", *IMPORT_FORMATS, "recipe", "attributes"]
    into.add_argument("--format", choices=kinds, default="auto")
    into.add_argument("--status", choices=["pending", "accepted"], default="pending")
    into.add_argument("--annotator", default="import", help="who accepted imported candidates")
    into.add_argument(
        "--dimension", default="", help="dimension of loose per-label files (default: subtopics)"
    )
    into.add_argument("--name", default="", help="name of the project a recipe creates")
    into.add_argument(
        "--seeds", action="store_true", help="import instruction data as seed tasks instead"
    )


def _options(args: argparse.Namespace) -> ExportOptions:
    where = CandidateFilter(
        statuses=[CandidateStatus(status) for status in args.status or ["accepted"]],
        methods=args.method,
        labels=args.label,
        annotators=args.annotator,
        text=args.text,
    )
    return ExportOptions(
        formats=args.format or ["alpaca"],
        where=where,
        dedup=args.dedup,
        near_threshold=args.near_threshold,
        similarity_threshold=args.similarity,
        eval_items=read_eval_file(args.eval_set.name, args.eval_set.read_bytes())
        if args.eval_set
        else [],
        eval_name=args.eval_set.name if args.eval_set else "",
        eval_ngram=args.eval_ngram,
        validation_fraction=args.validation,
        seed=args.seed,
        system_prompt=args.system_prompt,
        license=args.license,
    )


def run_export(store: Store, project: Project, args: argparse.Namespace) -> int:
    options = _options(args)
    if args.out.suffix.lower() == ".jsonl":
        if len(options.formats) != 1 or options.validation_fraction:
            raise InputError("A .jsonl file holds one format and no split: give a folder or .zip.")
        check_formats(project, options)
        plan = plan_export(store, project, options)
        if plan.empty:
            print(f"warning: {len(plan.empty)} left out: {EMPTY_NOTE}", file=sys.stderr)
        [(_, lines)] = list(data_files(store, project, plan))
        count = atomic_write(args.out, lines)
        print(f"wrote {counted(count, 'record')} to {args.out}")
        return 0
    measure = None if args.no_diversity else embedding_diversity(store)
    written, facts = export_to_path(store, project, options, args.out, measure)
    if facts.left_out_empty:
        print(f"warning: {facts.left_out_empty} left out: {EMPTY_NOTE}", file=sys.stderr)
    for data_file in facts.files:
        print(f"{data_file.name}: {counted(data_file.records, 'record')}")
    print(f"wrote {counted(len(written), 'file')} to {args.out}")
    return 0


def _import_attributes(store: Store, project: Project, args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.is_dir():
        files = {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    elif path.suffix.lower() == ".zip":
        files = files_from_zip(path.read_bytes())
    else:
        files = {path.name: path.read_bytes()}
    found = dimensions_from_files(files, project.labels, args.dimension)
    for problem in found.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not found.dimensions:
        print("error: no attribute values found", file=sys.stderr)
        return 1
    store.replace_dimensions(
        project.id, merge_dimensions(store.list_dimensions(project.id), found.dimensions)
    )
    names = ", ".join(d.name for d in found.dimensions)
    print(f"imported values of {len(found.dimensions)} dimensions ({names})")
    return 0


def run_import(store: Store, args: argparse.Namespace, lookup: ProjectLookup) -> int:
    path: Path = args.file
    fmt = args.format
    if fmt == "auto":
        if path.is_dir() or path.suffix.lower() in {".txt", ".zip"}:
            fmt = "recipe" if path.suffix.lower() == ".zip" and _has_recipe(path) else "attributes"
        elif path.name.endswith("recipe.json"):
            fmt = "recipe"
        else:
            fmt = detect_format(path.name, path.read_bytes())
    if fmt == "recipe":
        return _import_recipe(store, args)
    if not args.project:
        raise InputError(f"Give --project to import {fmt} data into.")
    project = lookup(store, args.project)
    if fmt == "attributes":
        return _import_attributes(store, project, args)
    parsed = parse_file(path.read_bytes(), fmt)
    if fmt == "seed_tasks" or args.seeds:
        tasks, errors = seed_tasks_from(parsed)
        _report(errors)
        added = store.add_seed_tasks(project.id, tasks)
        print(f"{len(tasks) - added} seed tasks already here, {added} added")
        return 0
    status = CandidateStatus(args.status)
    items, errors = import_items(parsed, project, status, args.annotator, source=path.name)
    _report(errors)
    ids = store_items(store, project.id, items)
    print(f"imported {candidates_count(len(ids))} ({IMPORT_FORMATS[fmt]})")
    return 0


def _has_recipe(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(name.rsplit("/", 1)[-1] == "recipe.json" for name in archive.namelist())


def _report(errors: list) -> None:
    for error in errors:
        print(f"skipped {error}", file=sys.stderr)


def _import_recipe(store: Store, args: argparse.Namespace) -> int:
    bundle = read_bundle(args.file.read_bytes())
    for problem in bundle.errors:
        print(f"skipped {problem}", file=sys.stderr)
    created = import_project(store, bundle, args.name or None)
    for note in created.notes:
        print(f"note: {note}")
    print(f"created project '{created.name}' with {candidates_count(created.candidates)}")
    return 0
