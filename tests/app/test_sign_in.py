"""With sign-in configured, nobody signed out sees data; annotators only review."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from seedbed.auth import hash_password
from seedbed.store.core import Store
from tests.conftest import ROOT

SECRETS = {
    "users": {
        "alice": {"password_hash": hash_password("alice-pw"), "role": "admin"},
        "bob": {"password_hash": hash_password("bob-pw"), "role": "annotator"},
    }
}


def signed_out_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["seedbed_auth"] = SECRETS
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    at.get("form")[0].button[0].click()
    return at.run()


def everything_shown(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "markdown", "caption") for e in at.get(kind)]
    return " ".join(str(p) for p in parts)


def test_signed_out_visitors_see_only_the_sign_in_form(demo_store: Store) -> None:
    at = signed_out_app()
    assert at.text_input(key="auth_password").proto.type == 1  # a password field
    shown = everything_shown(at)
    assert "General instruction tuning" not in shown and "News topic" not in shown
    assert len(at.sidebar.selectbox) == 0


def test_a_wrong_password_is_refused(demo_store: Store) -> None:
    at = sign_in(signed_out_app(), "alice", "nope")
    assert at.error[0].value == "Unknown user name or wrong password."
    assert "auth_user" not in at.session_state


def test_an_admin_gets_every_page(demo_store: Store) -> None:
    at = sign_in(signed_out_app(), "alice", "alice-pw")
    assert not at.exception, at.exception
    assert at.session_state["auth_user"].name == "alice"
    assert at.session_state["annotator"] == "alice"
    at.switch_page("app_pages/generate.py").run()
    assert at.title[0].value == "Generate"


def test_an_annotator_lands_on_review_and_cannot_generate(demo_store: Store) -> None:
    at = sign_in(signed_out_app(), "bob", "bob-pw")
    assert at.title[0].value == "Review"
    assert at.session_state["annotator"] == "bob"
    # Pages outside the role are not registered with st.navigation at all.
    with pytest.raises(ValueError, match="Known pages: \\['.*app_pages/review.py'\\]"):
        at.switch_page("app_pages/generate.py")
