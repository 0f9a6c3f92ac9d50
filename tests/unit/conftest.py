"""Fixtures for the job engine's tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from seedbed.methods import METHODS
from tests.engine_fakes import TwoStage


@pytest.fixture
def method(monkeypatch: pytest.MonkeyPatch) -> TwoStage:
    fake = TwoStage()
    monkeypatch.setitem(METHODS, fake.name, fake)
    return fake


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Subprocesses a test starts; any still running at the end are killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
