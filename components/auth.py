"""Sign-in gate: with `[seedbed_auth]` in secrets.toml nobody signed out sees any data.

app.py asks `signed_in()` on every run and then always reaches st.navigation: signed out,
the sign-in form is the only page registered, so every URL lands on it. Password users
keep a signed session cookie (seedbed.auth.session_token) so a reload keeps them in;
OIDC users have Streamlit's own cookie.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from seedbed.auth import (
    AuthConfig,
    User,
    auth_config,
    oidc_user,
    session_token,
    sign_in,
    user_from_token,
)

COOKIE = "seedbed_session"


@dataclass(frozen=True)
class Gate:
    """Who is using this session: `required` is False when sign-in is off."""

    required: bool
    user: User | None

    @property
    def closed(self) -> bool:
        return self.required and self.user is None


def _config() -> AuthConfig | None:
    try:
        return auth_config(st.secrets)
    except FileNotFoundError:  # no secrets.toml at all: sign-in is off
        return None


def _uses_oidc() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


@st.cache_resource
def _process_secret() -> bytes:
    """A per-process cookie key, for when secrets.toml names none."""
    return os.urandom(32)


def _cookie_secret(config: AuthConfig) -> bytes:
    return config.cookie_secret.encode("utf-8") if config.cookie_secret else _process_secret()


def signed_in() -> Gate:
    """The session's user: from this session, Streamlit's OIDC sign-in, or the cookie."""
    config = _config()
    if config is None:
        return Gate(required=False, user=None)
    user = st.session_state.get("auth_user")
    if not isinstance(user, User):
        user = _remembered_user(config)
    if user is not None:
        st.session_state["auth_user"] = user
        st.session_state.setdefault("annotator", user.name)
    _write_pending_cookie()
    return Gate(required=True, user=user)


def _remembered_user(config: AuthConfig) -> User | None:
    if _uses_oidc():
        if st.user.is_logged_in:
            return oidc_user(config, str(st.user.get("email") or st.user.get("name") or ""))
        return None
    # The cookie the browser sent when this session connected; ignored once the
    # session signed out (the browser may still hold it until the next page load).
    token = st.context.cookies.get(COOKIE)
    if not token or st.session_state.get("auth_signed_out"):
        return None
    return user_from_token(config, token, _cookie_secret(config))


def _write_pending_cookie() -> None:
    """Set or clear the session cookie in the browser, one run after sign-in or sign-out.

    Streamlit can read cookies (st.context.cookies) but has no call to write one, so a
    small script sets it (st.html runs scripts in the page itself, not an iframe). The
    value is ours (base64url and dots), never user text. Being set by script, the cookie
    cannot be HttpOnly; it is SameSite=Strict, and Secure on https.
    """
    if "auth_cookie" not in st.session_state:
        return
    value, max_age = st.session_state.pop("auth_cookie")
    st.html(
        "<script>document.cookie = '"
        f"{COOKIE}={value}; Max-Age={max_age}; Path=/; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def sign_in_page() -> None:
    """The only page a signed-out visitor gets, whatever URL they open."""
    st.title(":material/spa: Seedbed")
    if _uses_oidc():
        st.button("Sign in", type="primary", on_click=st.login, key="auth_oidc")
        return
    config = _config()
    assert config is not None  # app.py registers this page only when sign-in is on
    with st.form("auth_sign_in"):
        name = st.text_input("User name", key="auth_name")
        password = st.text_input("Password", type="password", key="auth_password")
        if st.form_submit_button("Sign in", type="primary"):
            user = sign_in(config, name, password)
            if user is None:
                st.error("Unknown user name or wrong password.")
            else:
                token = session_token(config, user, _cookie_secret(config))
                st.session_state["auth_user"] = user
                st.session_state["annotator"] = user.name
                st.session_state["auth_cookie"] = (token, int(config.session_hours * 3600))
                st.session_state.pop("auth_signed_out", None)
                st.rerun()


def sign_out_button(user: User) -> None:
    st.caption("Signed in as")
    st.text(f"{user.name} ({user.role})")
    if st.button("Sign out", key="auth_sign_out"):
        if _uses_oidc():
            st.logout()
        st.session_state.clear()
        st.session_state["auth_signed_out"] = True
        st.session_state["auth_cookie"] = ("", 0)
        st.rerun()
