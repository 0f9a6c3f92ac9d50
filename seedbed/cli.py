"""`python -m seedbed ...`: set up the database, generate and export without the browser."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from seedbed import export as exporter
from seedbed import runner
from seedbed.auth import hash_password
from seedbed.llm import BackendConfig, BackendError, make_backend
from seedbed.models import ACCEPTED, Project
from seedbed.presets import ensure_demo_projects
from seedbed.store import Store, database_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m seedbed", description=__doc__)
    parser.add_argument(
        "--db", type=Path, help="SQLite file (default: DATABASE_URL or data/seedbed.db)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "init", help="create the database and load the demo projects if it is empty"
    )
    commands.add_parser(
        "hash-password", help="print a password hash for the users of .streamlit/secrets.toml"
    )

    generate = commands.add_parser("generate", help="generate candidates into a project")
    generate.add_argument("--project", required=True, help="project name")
    generate.add_argument("--method", choices=sorted(runner.METHODS), required=True)
    generate.add_argument("-n", type=int, default=5, help="how many candidates")
    generate.add_argument("--backend", choices=["embedded", "openai"], default="embedded")
    generate.add_argument("--model", default="", help="model name for --backend openai")
    generate.add_argument("--base-url", default="", help="OpenAI-compatible server URL")
    generate.add_argument("--seed", type=int, default=0)

    export = commands.add_parser("export", help="write the accepted candidates as JSONL")
    export.add_argument("--project", required=True)
    export.add_argument("--format", choices=sorted(exporter.FORMATS), default="alpaca")
    export.add_argument("--out", type=Path, required=True)
    return parser


def _project(store: Store, name: str) -> Project:
    for project in store.list_projects():
        if project.name == name:
            return project
    names = ", ".join(p.name for p in store.list_projects()) or "none"
    raise SystemExit(f"No project named '{name}'. Projects: {names}.")


def _generate(store: Store, args: argparse.Namespace) -> int:
    project = _project(store, args.project)
    config = BackendConfig(kind=args.backend, model=args.model, base_url=args.base_url)
    try:
        backend = make_backend(config)
        report = runner.run_generation(
            store,
            backend,
            project,
            args.method,
            args.n,
            seed=args.seed,
            on_progress=lambda done, total, _: print(f"{done}/{total}", flush=True),
        )
    except BackendError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"stored {len(report.candidate_ids)} candidates, {report.failed} failed")
    for error in report.errors:
        print(f"  failed: {error}", file=sys.stderr)
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    project = _project(store, args.project)
    accepted = store.iter_candidates(project.id, ACCEPTED)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(args.out.name + ".part")
    count = 0
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            for line in exporter.export_lines(accepted, project, args.format):
                handle.write(line)
                count += 1
        temporary.replace(args.out)  # atomic: never a half-written export
    finally:
        temporary.unlink(missing_ok=True)
    print(f"wrote {count} records to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "hash-password":
        print(hash_password(getpass.getpass("Password: ")))
        return 0
    store = Store(database_url(args.db) if args.db else None)
    if args.command == "init":
        loaded = ensure_demo_projects(store)
        print(f"database ready at {store.url} ({len(loaded)} demo projects loaded)")
        return 0
    if args.command == "generate":
        return _generate(store, args)
    return _export(store, args)
