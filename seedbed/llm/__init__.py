"""Chat backends: the embedded SmolLM2 default and any OpenAI-compatible server."""

from __future__ import annotations

import os
from typing import Literal

from seedbed.llm.base import BackendError, ChatBackend, ChatResult
from seedbed.models import Strict

__all__ = ["BackendConfig", "BackendError", "ChatBackend", "ChatResult", "make_backend"]


class BackendConfig(Strict):
    """Which backend to use. The API key is deliberately not part of it: keys are
    passed separately and never stored."""

    kind: Literal["embedded", "openai"] = "embedded"
    model: str = ""
    base_url: str = ""

    @classmethod
    def from_env(cls) -> BackendConfig:
        """OpenAI-compatible when OPENAI_API_KEY or OPENAI_BASE_URL is set, else embedded."""
        if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
            return cls(
                kind="openai",
                model=os.environ.get("SEEDBED_MODEL", "gpt-4o-mini"),
                base_url=os.environ.get("OPENAI_BASE_URL", ""),
            )
        return cls()


def make_backend(config: BackendConfig, api_key: str | None = None) -> ChatBackend:
    """Build the backend `config` names; `api_key` falls back to OPENAI_API_KEY."""
    if config.kind == "embedded":
        from seedbed.llm.local_backend import LocalBackend

        return LocalBackend()
    from seedbed.llm.openai_backend import OpenAIBackend

    if not config.model.strip():
        raise BackendError("Enter a model name for the OpenAI-compatible backend.")
    return OpenAIBackend(
        model=config.model.strip(), api_key=api_key or None, base_url=config.base_url or None
    )
