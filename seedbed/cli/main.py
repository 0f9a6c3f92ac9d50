"""`python -m seedbed ...`: set up the database, generate, export and import without the browser."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from seedbed.auth import hash_password
from seedbed.cli import data as cli_data
from seedbed.cli import jobs as cli_jobs
from seedbed.errors import InputError, SeedbedError
from seedbed.files import records as exporter  # noqa: F401 (tests patch cli.exporter)
from seedbed.files.presets import ensure_demo_projects
from seedbed.models import Project
from seedbed.store.core import Store, database_url


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

    cli_jobs.add_commands(commands)  # generate, resume, jobs, cancel

    cli_data.add_commands(commands)  # export and import
    return parser


def _project(store: Store, name: str) -> Project:
    for project in store.list_projects():
        if project.name == name:
            return project
    names = ", ".join(p.name for p in store.list_projects()) or "none"
    raise InputError(f"No project named '{name}'. Projects: {names}.")


def _export(store: Store, args: argparse.Namespace) -> int:
    if args.command == "import":
        return cli_data.run_import(store, args, _project)
    return cli_data.run_export(store, _project(store, args.project), args)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user error is printed once, here, as `error: ...` (exit 1)."""
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except SeedbedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _command(args: argparse.Namespace) -> int:
    if args.command == "hash-password":
        print(hash_password(getpass.getpass("Password: ")))
        return 0
    store = Store(database_url(args.db) if args.db else None)
    if args.command == "init":
        loaded = ensure_demo_projects(store)
        print(f"database ready at {store.url} ({len(loaded)} demo projects loaded)")
        return 0
    if args.command in ("generate", "resume", "jobs", "cancel"):
        return cli_jobs.run(store, args, _project)
    return _export(store, args)
