"""Storage faults: one clear StorageError instead of a driver traceback or a silent loss,
and the store working again once the storage does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event

from seedbed.errors import StorageError
from seedbed.models import Project
from seedbed.store.core import Store


def names(store: Store) -> list[str]:
    return [project.name for project in store.list_projects()]


@pytest.mark.parametrize("replace", [False, True])
def test_a_deleted_or_replaced_database_file_refuses_writes(tmp_path: Path, replace: bool) -> None:
    path = tmp_path / "seedbed.db"
    store = Store(f"sqlite:///{path}")
    store.create_project(Project(name="Kept"))
    os.remove(path)
    if replace:
        Store(f"sqlite:///{path}").create_project(Project(name="Other"))
    what = "replaced by another file" if replace else "deleted"
    with pytest.raises(StorageError, match=f"seedbed.db was {what} while Seedbed was running"):
        store.create_project(Project(name="Lost"))  # SQLite alone would report success
    with pytest.raises(StorageError):
        names(store)
    reopened = Store(f"sqlite:///{path}")
    assert names(reopened) == (["Other"] if replace else [])
    assert "Lost" not in names(reopened)


def test_a_read_only_database_says_so_and_the_store_recovers(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'seedbed.db'}")
    read_only = {"on": True}

    @event.listens_for(store.engine, "connect")
    def _open(dbapi_connection, _record) -> None:  # as SQLite opens a file it cannot write
        if read_only["on"]:
            dbapi_connection.execute("PRAGMA query_only=ON")

    store.engine.dispose()
    with pytest.raises(StorageError, match=r"seedbed.db is read-only, so nothing was read or"):
        store.create_project(Project(name="First"))
    read_only["on"] = False  # the file is writable again: the same store goes on
    store.create_project(Project(name="First"))
    assert names(store) == ["First"]


def test_an_unreachable_server_is_one_message() -> None:
    with pytest.raises(
        StorageError, match=r"Cannot reach the database postgresql://seedbed:\*\*\*"
    ):
        Store("postgresql://seedbed:secret@127.0.0.1:1/seedbed?connect_timeout=2")
