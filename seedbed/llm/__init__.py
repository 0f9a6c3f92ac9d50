"""Chat backends: the embedded SmolLM2 default and any OpenAI-compatible server."""

from __future__ import annotations

import json
import os
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, field_validator

from seedbed.errors import BackendError, InputError
from seedbed.llm.base import ChatBackend, ChatResult
from seedbed.models import Strict

__all__ = [
    "BackendConfig",
    "ChatBackend",
    "DEFAULT_TIMEOUT",
    "checked_base_url",
    "env_timeout",
    "ChatResult",
    "make_backend",
    "parse_extra_params",
]

# Request fields Seedbed sets itself; extra parameters may not override them.
RESERVED_PARAMS = frozenset(
    {"model", "messages", "temperature", "top_p", "max_tokens", "presence_penalty", "stop"}
    | {"stream", "n"}
)


DEFAULT_TIMEOUT = 60.0  # seconds a request may wait for its reply, each attempt


def env_timeout() -> float:
    """The request timeout SEEDBED_TIMEOUT sets (seconds), else DEFAULT_TIMEOUT."""
    raw = os.environ.get("SEEDBED_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise InputError(f"SEEDBED_TIMEOUT={raw!r}: give seconds between 0 and 3600.")
    return value


class BackendConfig(Strict):
    """Which backend to use. The API key is deliberately not part of it: keys are
    passed separately and never stored."""

    kind: Literal["embedded", "openai"] = "embedded"
    model: str = ""
    base_url: str = ""
    # More fields for each chat request, sent as the openai client's `extra_body`
    # (e.g. vLLM's top_k, min_p, repetition_penalty). Not for secrets: it is stored.
    extra_body: dict[str, Any] = Field(default_factory=dict)
    # Seconds an OpenAI-compatible server may take for one reply (per attempt); a
    # local server answering one request at a time needs more than a cloud API.
    timeout: float = Field(default_factory=env_timeout, gt=0, le=3600)

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        # Whatever the entry point, a key never reaches the job settings or recipe.json
        # (and old rows that hold one load without it); entry points refuse with
        # checked_base_url so the user learns why their URL changed.
        return url_without_credentials(value)

    @field_validator("extra_body")
    @classmethod
    def _no_reserved_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _without_reserved(value)

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


# Query parameters that carry secrets (`?api_key=...`, `?token=...`, Azure's `sig`).
_SECRET_PARAMS = ("key", "token", "secret", "password", "sig")


def _is_secret_param(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_PARAMS)


def _holds_credentials(url: str) -> bool:
    parts = urlsplit(url)
    secret_params = any(_is_secret_param(name) for name, _ in parse_qsl(parts.query))
    return "@" in parts.netloc or secret_params


def url_without_credentials(url: str) -> str:
    """`url` minus a `user:password@` part and secret-looking query parameters."""
    if not _holds_credentials(url):
        return url
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _is_secret_param(k)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def checked_base_url(url: str) -> str:
    """`url` (trimmed) when it holds no credentials; InputError saying why otherwise.

    The message never repeats the whole URL: it holds the secret.
    """
    url = url.strip()
    if _holds_credentials(url):
        raise InputError(
            "The base URL holds credentials (user:KEY@host or a key in the query). "
            "Seedbed stores the base URL with every job and exports it in recipe.json, "
            f"so it keeps only {url_without_credentials(url)!r}: give the key as the "
            "API key instead (the sidebar's field or OPENAI_API_KEY)."
        )
    return url


def make_backend(config: BackendConfig, api_key: str | None = None) -> ChatBackend:
    """Build the backend `config` names; `api_key` falls back to OPENAI_API_KEY."""
    if config.kind == "embedded":
        from seedbed.llm.local_backend import LocalBackend

        return LocalBackend()
    from seedbed.llm.openai_backend import OpenAIBackend

    if not config.model.strip():
        raise BackendError("Enter a model name for the OpenAI-compatible backend.")
    return OpenAIBackend(
        model=config.model.strip(),
        api_key=api_key or None,
        base_url=config.base_url or None,
        extra_body=config.extra_body,
        timeout=config.timeout,
    )


def parse_extra_params(text: str) -> dict[str, Any]:
    """The extra request parameters typed as a JSON object; ValueError says what is wrong."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"Extra parameters are not valid JSON: {error}.") from None
    if not isinstance(value, dict):
        raise InputError('Extra parameters must be a JSON object, e.g. {"top_k": 40}.')
    return _without_reserved(value)


def _without_reserved(value: dict[str, Any]) -> dict[str, Any]:
    clash = sorted(RESERVED_PARAMS & value.keys())
    if clash:
        names = ", ".join(clash)
        raise InputError(f"{names} cannot be an extra parameter: Seedbed sets it itself.")
    return value
