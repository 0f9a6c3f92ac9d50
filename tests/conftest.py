"""Shared fixtures: every test gets its own database; the real models load once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedbed.presets import ensure_demo_projects
from seedbed.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point DATABASE_URL at a fresh SQLite file so no test touches data/."""
    url = f"sqlite:///{tmp_path / 'seedbed.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return url


@pytest.fixture
def store(_isolated_database: str) -> Store:
    return Store(_isolated_database)


@pytest.fixture
def demo_store(store: Store) -> Store:
    """A store holding the shipped demo projects."""
    ensure_demo_projects(store)
    return store


@pytest.fixture(scope="session")
def embedded_backend():
    """The real SmolLM2 backend, loaded once for the whole session (about 20 s)."""
    from seedbed.llm.local_backend import LocalBackend, load_model

    load_model()
    return LocalBackend()
