"""Sign-in: password hashes and roles from secrets.toml."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seedbed.auth import (
    AuthConfig,
    User,
    auth_config,
    hash_password,
    oidc_user,
    session_token,
    sign_in,
    user_from_token,
    verify_password,
)


def test_a_hash_verifies_only_its_own_password() -> None:
    encoded = hash_password("correct horse")
    assert encoded.startswith("scrypt$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct hors", encoded)
    assert hash_password("correct horse") != encoded  # salted
    assert not verify_password("x", "md5$abc$def") and not verify_password("x", "garbage")


def test_sign_in_needs_a_known_name_and_its_password() -> None:
    config = auth_config(
        {
            "seedbed_auth": {
                "users": {
                    "alice": {"password_hash": hash_password("a-pass"), "role": "admin"},
                    "bob": {"password_hash": hash_password("b-pass")},
                }
            }
        }
    )
    assert sign_in(config, "alice", "a-pass").role == "admin"
    assert sign_in(config, " bob ", "b-pass").role == "annotator"  # the default role
    assert sign_in(config, "bob", "a-pass") is None
    assert sign_in(config, "carol", "a-pass") is None


def test_sign_in_is_off_without_its_section_and_rejects_typos() -> None:
    assert auth_config({}) is None
    with pytest.raises(ValidationError):
        auth_config({"seedbed_auth": {"users": {"a": {"password": "plain"}}}})


def test_oidc_users_are_annotators_unless_listed_as_admins() -> None:
    config = auth_config({"seedbed_auth": {"admins": ["lead@example.com"]}})
    assert oidc_user(config, "lead@example.com").is_admin
    assert not oidc_user(config, "someone@example.com").is_admin


def test_the_cli_prints_a_hash_that_verifies(monkeypatch, capsys) -> None:
    from seedbed.cli import main as cli

    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": "s3cret")
    assert cli.main(["hash-password"]) == 0
    printed = capsys.readouterr().out.strip()
    assert verify_password("s3cret", printed)


# -- session tokens (the cookie that keeps a password user signed in) -----------------
SECRET = b"k" * 32


def _config(**extra: object) -> AuthConfig:
    return AuthConfig.model_validate(
        {"users": {"alice": {"password_hash": hash_password("pw"), "role": "admin"}}, **extra}
    )


def test_a_session_token_names_its_user_until_it_expires() -> None:
    config = _config(session_hours=2)
    token = session_token(config, User(name="alice", role="admin"), SECRET, now=1000)
    assert user_from_token(config, token, SECRET, now=1000 + 7199) == User(
        name="alice", role="admin"
    )
    assert user_from_token(config, token, SECRET, now=1000 + 7201) is None


def test_a_tampered_token_a_foreign_key_or_a_new_password_end_the_session() -> None:
    config = _config()
    token = session_token(config, User(name="alice", role="admin"), SECRET, now=1000)
    name, role, expiry, signature = token.split(".")
    longer = ".".join([name, role, str(int(expiry) * 10), signature])
    assert user_from_token(config, longer, SECRET, now=1000) is None
    assert user_from_token(config, token, b"other" * 8, now=1000) is None
    assert user_from_token(config, "garbage", SECRET, now=1000) is None
    changed = _config()  # same user, a new password hash
    assert user_from_token(changed, token, SECRET, now=1000) is None
