"""Backend settings kept per user in the store."""

from __future__ import annotations

from seedbed.llm import BackendConfig
from seedbed.llm.settings import load_backend_settings, save_backend_settings
from seedbed.store.core import Store


def test_settings_are_kept_per_user_and_replaced(store: Store) -> None:
    mine = BackendConfig(kind="openai", model="m", base_url="http://h/v1", extra_body={"top_k": 4})
    save_backend_settings(store, "ana", mine)
    assert load_backend_settings(store, "ana") == mine
    assert load_backend_settings(store, "") is None
    save_backend_settings(store, "ana", BackendConfig())
    assert load_backend_settings(store, "ana") == BackendConfig()


def test_credentials_in_a_base_url_never_reach_the_store(store: Store) -> None:
    save_backend_settings(store, "", BackendConfig(kind="openai", base_url="http://u:pw@h/v1"))
    assert "pw" not in load_backend_settings(store, "").base_url
