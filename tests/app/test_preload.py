"""The embedded model starts loading when the server starts, only when it is the default."""

from __future__ import annotations

import pytest

from components import state
from seedbed.llm import local_backend


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []
    monkeypatch.setattr(local_backend, "start_loading", lambda: calls.append(True))
    monkeypatch.setenv("SEEDBED_PRELOAD", "1")
    state.preload_embedded_model.clear()
    yield calls
    state.preload_embedded_model.clear()


def test_the_embedded_default_starts_loading_once(started: list[bool]) -> None:
    state.preload_embedded_model()
    state.preload_embedded_model()  # a second page view: already started
    assert started == [True]


def test_no_load_when_a_server_is_configured(
    started: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    state.preload_embedded_model()
    assert started == []


def test_switched_off(started: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDBED_PRELOAD", "0")
    state.preload_embedded_model()
    assert started == []
