"""Fixtures for the job engine's tests."""

from __future__ import annotations

import pytest

from seedbed.methods import METHODS
from tests.engine_fakes import TwoStage


@pytest.fixture
def method(monkeypatch: pytest.MonkeyPatch) -> TwoStage:
    fake = TwoStage()
    monkeypatch.setitem(METHODS, fake.name, fake)
    return fake
