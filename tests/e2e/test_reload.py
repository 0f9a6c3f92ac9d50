"""A reload in the middle of a journey keeps the project, the page and the backend."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from seedbed.files.presets import list_presets, load_preset
from tests.e2e.conftest import Server, pick_option, screenshot

pytestmark = pytest.mark.e2e


def settle(page) -> None:
    """Wait until the script run is over (the status widget hides)."""
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=30_000)


def sidebar_input(page, key: str):
    return page.locator(f".st-key-sidebar_{key} input")


def test_a_reload_mid_journey_keeps_project_page_and_backend(page, server: Server) -> None:
    for preset in list_presets():  # two projects: the reload must not fall back to the first
        load_preset(server.store, preset)
    news = next(p for p in server.store.list_projects() if p.name.startswith("News"))
    page.goto(server.url)
    page.get_by_text("Load a demo project").wait_for()
    pick_option(page, "sidebar_project_id", news.name)
    page.get_by_role("heading", name=news.name).wait_for()

    kinds = page.locator(".st-key-sidebar_backend_kind")
    kinds.get_by_text("OpenAI-compatible server", exact=True).first.click()
    base_url = sidebar_input(page, "backend_base_url")
    base_url.fill("http://models.internal:8000/v1")
    base_url.press("Enter")
    settle(page)
    model = sidebar_input(page, "backend_model")
    model.fill("qwen2.5-7b-instruct")
    model.press("Enter")
    settle(page)
    key = sidebar_input(page, "backend_api_key")
    key.fill("sk-not-kept")
    key.press("Enter")
    settle(page)

    page.get_by_test_id("stSidebarNav").get_by_text("Generate", exact=True).click()
    page.get_by_role("heading", name="Generate").wait_for()
    extra = page.locator(".st-key-generate_extra_params input")
    extra.fill('{"top_k": 40}')
    extra.press("Enter")
    settle(page)
    expect(page).to_have_url(re.compile(rf"/generate\?project={news.id}$"))

    page.reload()
    page.get_by_role("heading", name="Generate").wait_for()
    settle(page)
    screenshot(page, "reload-generate")
    expect(page).to_have_url(re.compile(rf"/generate\?project={news.id}$"))
    expect(page.locator(".st-key-sidebar_project_id input")).to_have_value(news.name)
    expect(page.get_by_text(f"Project: {news.name}")).to_be_visible()
    expect(base_url).to_have_value("http://models.internal:8000/v1")
    expect(sidebar_input(page, "backend_model")).to_have_value("qwen2.5-7b-instruct")
    expect(key).to_have_value("")  # the key is never stored
    expect(extra).to_have_value('{"top_k": 40}')

    # A new tab on the copied link opens the same place too.
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("heading", name="Generate").wait_for()
    expect(other.locator(".st-key-sidebar_project_id input")).to_have_value(news.name)
