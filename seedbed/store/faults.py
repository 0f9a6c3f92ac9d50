"""Storage faults as one message a user can act on, and a guard against a vanished file.

A read-only or full disk, an unreachable PostgreSQL server or a deleted database
file would otherwise surface as a driver traceback hundreds of lines long, or not
at all. Each becomes a StorageError that says what is wrong with which database and
that nothing was saved. Other database errors (a duplicate name, a bug in a query)
pass through unchanged, for the code that expects them.

SQLite keeps writing to a file that was deleted or replaced while it was open: every
save reports success and is lost at the next start. The guard records the file's
identity (device and inode) at the first transaction and refuses every later one
once the path no longer leads to that same file.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext

from seedbed.errors import StorageError

# Lower-cased fragments of SQLite's messages for a file it cannot use, and what they mean.
SQLITE_FAULTS = (
    ("readonly database", "is read-only"),
    ("unable to open database file", "cannot be opened"),
    ("disk i/o error", "cannot be read or written (disk I/O error)"),
    ("database or disk is full", "is full"),
)
NOTHING_SAVED = "nothing was read or saved"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _storage_fault(context: ExceptionContext) -> StorageError | None:
    """The StorageError that replaces a driver error about the storage itself, else None."""
    where = context.engine.url.render_as_string(hide_password=True)
    reason = _first_line(context.original_exception)
    for fragment, meaning in SQLITE_FAULTS:
        if fragment in reason.lower():
            # Handled as a lost connection, so the pool opens fresh ones next time: a
            # connection opened while the file was read-only stays read-only for good.
            context.is_disconnect = True
            return StorageError(
                f"The database {where} {meaning}, so {NOTHING_SAVED}. Seedbed goes on "
                "once it can write there again."
            )
    if context.is_disconnect or context.connection is None:  # lost, or never connected
        return StorageError(
            f"Cannot reach the database {where} ({reason}), so {NOTHING_SAVED}. Seedbed "
            "goes on once the database answers again."
        )
    return None


class FileGuard:
    """Refuses transactions once the SQLite file at `path` is not the one first opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None

    def _current(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def check(self, _conn: Connection) -> None:
        current = self._current()
        if self.identity is None:  # the first transaction: the file now exists
            self.identity = current
            return
        if current != self.identity:
            what = "deleted" if current is None else "replaced by another file"
            raise StorageError(
                f"The database file {self.path} was {what} while Seedbed was running, so "
                f"{NOTHING_SAVED}. Restart Seedbed to open the file now at that path "
                "(a new, empty database if there is none)."
            )


def watch_storage(engine: Engine) -> None:
    """Turn storage faults on `engine` into StorageError; guard a SQLite file's identity."""
    event.listen(engine, "handle_error", _storage_fault)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        event.listen(engine, "begin", FileGuard(Path(database).resolve()).check)
