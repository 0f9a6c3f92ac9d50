"""Optional sign-in: a list of users with scrypt password hashes, or an OIDC provider.

Configured in `.streamlit/secrets.toml` (see `.streamlit/secrets.toml.example`).
Admins configure, generate and export; annotators only review. A signed-in password user
gets a session token (kept in a cookie by components/auth.py) so a reload keeps them in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
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
    # Signs the session cookie; without it a random key per server process is used,
    # so sign-ins survive reloads but not restarts.
    cookie_secret: str = ""
    session_hours: float = Field(default=12, gt=0)


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


def session_token(config: AuthConfig, user: User, secret: bytes, now: float | None = None) -> str:
    """`name.role.expiry.signature` (base64url parts) for `user`, valid session_hours.

    The signature covers the user's password hash too, so changing a password (or
    removing the user) ends their sessions.
    """
    expiry = int((now or time.time()) + config.session_hours * 3600)
    parts = [_b64(user.name.encode("utf-8")), user.role, str(expiry)]
    return ".".join([*parts, _signature(config, parts, secret)])


def user_from_token(
    config: AuthConfig, token: str, secret: bytes, now: float | None = None
) -> User | None:
    """The user a token from session_token names, or None when it is forged, stale or expired."""
    parts = token.split(".")
    if len(parts) != 4:
        return None
    *signed, signature = parts
    if not hmac.compare_digest(signature, _signature(config, signed, secret)):
        return None
    encoded_name, role, expiry = signed
    if not expiry.isdigit() or int(expiry) < (now or time.time()):
        return None
    name = base64.urlsafe_b64decode(encoded_name + "==").decode("utf-8")
    known = config.users.get(name)
    if known is None or known.role != role:
        return None
    return User(name=name, role=known.role)


def _signature(config: AuthConfig, parts: list[str], secret: bytes) -> str:
    name = parts[0]
    try:
        known = config.users.get(base64.urlsafe_b64decode(name + "==").decode("utf-8"))
    except ValueError:
        known = None
    fingerprint = known.password_hash if known else ""
    message = ".".join([*parts, fingerprint]).encode("utf-8")
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
