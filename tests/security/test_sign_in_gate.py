"""No way around sign-in: a fresh server, signed-out visits to every page URL, in chromium.

Streamlit serves a `pages/` folder beside the entry file by URL (its legacy multipage
mode) until some session has called st.navigation. A script that stopped at the sign-in
form before st.navigation left that mode on after every restart: /generate ran the
Generate page for anyone. These probes run before anyone signs in.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedbed.auth import hash_password
from tests.conftest import ROOT, parse_python
from tests.e2e.conftest import Server, running_server
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.e2e

PAGE_URLS = ["generate", "overview", "seeds", "attributes", "review", "insights", "export"]


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key="server-key") as server:
        yield server


def _secrets(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.toml"
    pw_hash = hash_password("alice-pw")
    path.write_text(
        f'[seedbed_auth.users.alice]\npassword_hash = "{pw_hash}"\nrole = "admin"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def guarded_server(tmp_path: Path, llm: FakeOpenAIServer) -> Iterator[Server]:
    """A fresh server with sign-in configured and the server's own key for `llm`."""
    env = {"OPENAI_API_KEY": "server-key", "OPENAI_BASE_URL": llm.base_url}
    with running_server(tmp_path, "--secrets.files", str(_secrets(tmp_path)), env=env) as server:
        yield server


def _settled(page) -> None:
    """Wait until the app has drawn something and its script run is over."""
    drawn = "[data-testid=stMainBlockContainer] [data-testid=stElementContainer]"
    page.locator(f"{drawn} >> visible=true").first.wait_for()
    page.wait_for_timeout(1000)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=60_000)


def _visit(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    _settled(page)
    return context, page


def test_signed_out_visitors_of_every_page_url_get_only_the_sign_in_form(
    browser, guarded_server: Server, llm: FakeOpenAIServer
) -> None:
    for path in [*PAGE_URLS, ""]:  # before anyone has signed in, the root last
        context, page = _visit(browser, f"{guarded_server.url}/{path}")
        try:
            headings = page.locator("h1, h2, h3").all_inner_texts()
            assert [h.strip() for h in headings] == ["spa Seedbed"], (path, headings)
            labels = page.locator("[data-testid=stWidgetLabel]").all_inner_texts()
            assert labels == ["User name", "Password"], (path, labels)
            assert page.get_by_test_id("stSidebarNav").count() == 0, path
            body = page.inner_text("body")
            for secret in ("News topic", "Load a demo project", "Generate", "Export"):
                assert secret not in body, (path, secret)
        finally:
            context.close()
    assert guarded_server.store.list_projects() == []
    assert llm.requests == []


def test_a_first_visit_without_sign_in_runs_the_router(browser, server: Server) -> None:
    """Without sign-in configured, a first visit to a page URL still goes through app.py:
    the sidebar lists the pages by title (not a folder's files) and holds the settings."""
    context, page = _visit(browser, f"{server.url}/generate")
    try:
        nav = page.get_by_test_id("stSidebarNav").inner_text()
        assert "Overview" in nav and "Generate" in nav
        assert "app" not in nav.split()
        assert page.get_by_test_id("stSidebar").get_by_text("Backend").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.stem)
def test_every_page_starts_with_the_router_check(path: Path) -> None:
    """Streamlit serves `pages/` by URL without app.py (and its sign-in) until st.navigation
    first runs; each page's first statement sends such a visitor to app.py."""
    body = [node for node in parse_python(path).body]
    first = next(node for node in body if not isinstance(node, ast.Import | ast.ImportFrom))
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # the docstring
        first = next(
            n
            for n in body[body.index(first) + 1 :]
            if not isinstance(n, ast.Import | ast.ImportFrom)
        )
    assert ast.unparse(first) == "require_router()"


def test_sign_in_survives_a_reload_and_sign_out_ends_it(browser, guarded_server: Server) -> None:
    context, page = _visit(browser, f"{guarded_server.url}/generate")
    try:
        page.get_by_role("textbox", name="User name").fill("alice")
        page.get_by_role("textbox", name="Password").fill("alice-pw")
        page.get_by_role("button", name="Sign in").click()
        # The bookmarked page, once signed in (no project yet: Generate asks for one).
        page.get_by_test_id("stSidebarNav").wait_for()
        _settled(page)
        assert "/generate" in page.url
        cookie = next(c for c in context.cookies() if c["name"] == "seedbed_session")
        assert cookie["sameSite"] == "Strict" and cookie["expires"] > 0
        page.reload()
        _settled(page)
        assert page.get_by_test_id("stSidebarNav").count() == 1
        assert page.get_by_role("textbox", name="Password").count() == 0
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("textbox", name="Password").wait_for()
        page.reload()
        _settled(page)
        assert page.get_by_role("textbox", name="Password").count() == 1
        assert page.get_by_test_id("stSidebarNav").count() == 0
    finally:
        context.close()


def test_a_forged_or_foreign_cookie_is_not_a_sign_in(browser, guarded_server: Server) -> None:
    context = browser.new_context()
    host = guarded_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "seedbed_session",
                "value": "YWxpY2U.admin.9999999999.forged",
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    try:
        page.goto(f"{guarded_server.url}/overview")
        _settled(page)
        assert page.get_by_role("textbox", name="Password").count() == 1
        assert page.get_by_test_id("stSidebarNav").count() == 0
    finally:
        context.close()
