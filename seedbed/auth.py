"""Optional sign-in: a list of users with scrypt password hashes, or an OIDC provider.

Configured in `.streamlit/secrets.toml` (see `.streamlit/secrets.toml.example`).
Admins configure, generate and export; annotators only review.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from seedbed.models import Strict

Role = Literal["admin", "annotator"]
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class User(Strict):
    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class PasswordUser(Strict):
    password_hash: str
    role: Role = "annotator"


class AuthConfig(Strict):
    """The `[seedbed_auth]` table of secrets.toml."""

    users: dict[str, PasswordUser] = Field(default_factory=dict)
    # With OIDC (Streamlit's `[auth]` table), these e-mail addresses are admins.
    admins: list[str] = Field(default_factory=list)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$<salt>$<hash>` (base64), for the users table of secrets.toml."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    encode = base64.b64encode
    return f"scrypt${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches a hash from hash_password (constant-time compare)."""
    try:
        scheme, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), dklen=32, **_SCRYPT
        )
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except ValueError:
        return False


def auth_config(secrets: Mapping[str, Any]) -> AuthConfig | None:
    """The sign-in configuration, or None when sign-in is off (no `[seedbed_auth]`)."""
    section = secrets.get("seedbed_auth")
    if section is None:
        return None
    return AuthConfig.model_validate(_plain(section))


def _plain(value: Any) -> Any:
    """Streamlit's secrets are read-only mappings; pydantic wants dicts."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def sign_in(config: AuthConfig, name: str, password: str) -> User | None:
    """The user when name and password match, else None (same answer for unknown names)."""
    user = config.users.get(name.strip())
    # Hash even for unknown names, so timing does not tell which names exist.
    encoded = user.password_hash if user else hash_password("", salt=b"\0" * 16)
    if verify_password(password, encoded) and user is not None:
        return User(name=name.strip(), role=user.role)
    return None


def oidc_user(config: AuthConfig, email: str) -> User:
    """Role of a user signed in through OIDC: admin when listed, else annotator."""
    return User(name=email, role="admin" if email in config.admins else "annotator")
