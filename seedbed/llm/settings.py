"""Each user's backend settings in the store, so a reload or a new tab keeps them.

Kind, base URL, model and extra request parameters only: the API key never reaches
the store (BackendConfig has no field for it, and the base URL loses any credentials).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import delete, insert, select

from seedbed.llm import BackendConfig
from seedbed.store import schema as t
from seedbed.store.core import Store


def load_backend_settings(store: Store, user: str) -> BackendConfig | None:
    """The settings `user` last used, or None when there are none (or they no longer load)."""
    query = select(t.backend_settings.c.config).where(t.backend_settings.c.user == user)
    with store.engine.connect() as conn:
        stored = conn.execute(query).scalar()
    if stored is None:
        return None
    try:
        return BackendConfig.model_validate(stored)
    except ValidationError:  # written by an older version with other rules: start afresh
        return None


def save_backend_settings(store: Store, user: str, config: BackendConfig) -> None:
    """Keep `config` as `user`'s settings, replacing what was there."""
    row = {
        "user": user,
        "config": config.model_dump(mode="json"),
        "updated_at": datetime.now(UTC),
    }
    with store.engine.begin() as conn:
        conn.execute(delete(t.backend_settings).where(t.backend_settings.c.user == user))
        conn.execute(insert(t.backend_settings).values(**row))
