"""Sign-in gate: with `[seedbed_auth]` in secrets.toml nobody signed out sees any data."""

from __future__ import annotations

import streamlit as st

from seedbed.auth import AuthConfig, User, auth_config, oidc_user, sign_in


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


def require_user() -> User | None:
    """The signed-in user; None when sign-in is off. Stops the script at the sign-in form."""
    config = _config()
    if config is None:
        return None
    if _uses_oidc():
        if st.user.is_logged_in:
            return oidc_user(config, str(st.user.get("email") or st.user.get("name") or ""))
        _oidc_form()
    user = st.session_state.get("auth_user")
    if isinstance(user, User):
        return user
    _password_form(config)
    st.stop()


def _oidc_form() -> None:
    st.title(":material/spa: Seedbed")
    st.button("Sign in", type="primary", on_click=st.login, key="auth_oidc")
    st.stop()


def _password_form(config: AuthConfig) -> None:
    st.title(":material/spa: Seedbed")
    with st.form("auth_sign_in"):
        name = st.text_input("User name", key="auth_name")
        password = st.text_input("Password", type="password", key="auth_password")
        if st.form_submit_button("Sign in", type="primary"):
            user = sign_in(config, name, password)
            if user is None:
                st.error("Unknown user name or wrong password.")
            else:
                st.session_state["auth_user"] = user
                st.session_state["annotator"] = user.name
                st.rerun()


def sign_out_button(user: User) -> None:
    st.caption(f"Signed in as **{user.name}** ({user.role})")
    if st.button("Sign out", key="auth_sign_out"):
        if _uses_oidc():
            st.logout()
        st.session_state.clear()
        st.rerun()
