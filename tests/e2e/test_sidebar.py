"""The sidebar in a real browser: "Test connection" lists the server's models to pick from."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, pick_option
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.e2e


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=30_000)


def test_test_connection_offers_the_servers_models(page, server: Server) -> None:
    models = ["qwen2.5-7b-instruct", "llama-3.1-8b-instruct"]
    with FakeOpenAIServer(models=models, api_key="k") as fake:
        page.goto(server.url)
        page.get_by_text("Load a demo project").wait_for()
        kinds = page.locator(".st-key-sidebar_backend_kind")
        kinds.get_by_text("OpenAI-compatible server", exact=True).first.click()
        for key, value in (("backend_base_url", fake.base_url), ("backend_api_key", "k")):
            field = page.locator(f".st-key-sidebar_{key} input")
            field.fill(value)
            field.press("Enter")
            settle(page)
        page.locator(".st-key-backend_test button").click()
        page.get_by_text("Connected: 2 models available.").wait_for()
        settle(page)
        pick_option(page, "sidebar_model_choice", "qwen2.5-7b-instruct")
        settle(page)
        model = page.locator(".st-key-sidebar_backend_model input")
        expect(model).to_have_value("qwen2.5-7b-instruct")
