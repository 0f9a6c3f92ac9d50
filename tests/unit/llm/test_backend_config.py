"""Choosing a backend from the environment and the sidebar settings."""

from __future__ import annotations

import pytest

from seedbed.errors import BackendError
from seedbed.llm import BackendConfig, make_backend
from seedbed.llm.openai_backend import OpenAIBackend


def test_no_openai_settings_means_the_embedded_backend() -> None:
    assert BackendConfig.from_env() == BackendConfig(kind="embedded")


def test_openai_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1")
    monkeypatch.setenv("SEEDBED_MODEL", "qwen2.5-7b")
    assert BackendConfig.from_env() == BackendConfig(
        kind="openai", model="qwen2.5-7b", base_url="http://localhost:8000/v1"
    )
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("SEEDBED_MODEL")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert BackendConfig.from_env() == BackendConfig(kind="openai", model="gpt-4o-mini")


def test_openai_backend_needs_a_model_name() -> None:
    with pytest.raises(BackendError, match="Enter a model name"):
        make_backend(BackendConfig(kind="openai", model="  ", base_url="http://x/v1"))


def test_make_backend_passes_model_url_and_key() -> None:
    backend = make_backend(
        BackendConfig(kind="openai", model=" m ", base_url="http://127.0.0.1:9/v1"),
        api_key="sk-secret",
    )
    assert isinstance(backend, OpenAIBackend)
    assert backend.model == "m"
    assert backend.base_url == "http://127.0.0.1:9/v1"
    assert "sk-secret" not in repr(backend)


def test_the_config_has_no_place_for_a_key() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        BackendConfig(kind="openai", model="m", api_key="sk-secret")
