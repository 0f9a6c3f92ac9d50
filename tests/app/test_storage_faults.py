"""Storage faults in the app: one clear message instead of a traceback, and the app back
at work on the next click once the storage is."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import seen
from tests.conftest import ROOT


def test_a_database_that_cannot_be_opened_shows_one_message_then_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "not-mounted-yet" / "seedbed.db"  # SQLite cannot create the file
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    [error] = at.error
    assert "seedbed.db cannot be opened, so nothing was read or saved" in seen(error.value)

    missing.parent.mkdir()  # the storage is back
    at.button(key="storage_retry").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert missing.exists()
