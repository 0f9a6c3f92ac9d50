"""Background generation jobs in a real browser: live progress, cancel, resume.

The app talks to the local OpenAI-compatible test server (no model to load), which
answers each request after a short delay so the progress can be watched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobStatus
from tests.e2e.conftest import Server, screenshot
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.e2e

ARTICLE = "Dock workers in Mombasa ended a two-week strike after a pay deal on Tuesday."


@pytest.fixture
def fake_api() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key="e2e-key", delay=0.3) as fake:
        yield fake


def click_key(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


def fill_key(page, key: str, value: str) -> None:
    field = page.locator(f".st-key-{key} input").first
    field.fill(value)
    field.press("Enter")


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=30_000)


def use_fake_api(page, fake_api: FakeOpenAIServer) -> None:
    """Pick the OpenAI-compatible backend in the sidebar, as a user does."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radiogroup").get_by_text("OpenAI-compatible server").click()
    settle(page)
    fields = (("Base URL", fake_api.base_url), ("Model", "fake-model"), ("API key", "e2e-key"))
    for label, value in fields:
        field = sidebar.get_by_role("textbox", name=label)
        field.fill(value)
        field.press("Enter")
        settle(page)


def test_a_job_shows_live_progress_and_can_be_cancelled_and_resumed(
    page, server: Server, fake_api: FakeOpenAIServer
) -> None:
    page.goto(server.url)
    click_key(page, "overview_load_news-topics")
    page.get_by_role("heading", name="News topic classification").wait_for()
    use_fake_api(page, fake_api)
    page.get_by_test_id("stSidebarNav").get_by_text("Generate", exact=True).click()
    page.get_by_text("The exact prompt").wait_for()

    fill_key(page, "generate_batch_n", "12")
    fill_key(page, "generate_concurrency", "2")
    settle(page)
    click_key(page, "generate_start")
    page.get_by_text("Job 1 · attrprompt · running").wait_for()
    page.get_by_text("of 12 candidates").first.wait_for()
    screenshot(page, "10-generate-job-running")
    # The panel polls on its own: it reaches the end without any click.
    page.get_by_text("12 of 12 candidates").wait_for(timeout=30_000)
    page.get_by_text("Job 1 · attrprompt · done").wait_for()
    settle(page)
    screenshot(page, "11-generate-job-done")
    assert job_requests.job_progress(server.store, jobs.get_job(server.store, 1)).stored == 12

    fill_key(page, "generate_batch_n", "40")
    settle(page)
    click_key(page, "generate_start")
    page.get_by_text("Job 2 · attrprompt · running").wait_for()
    page.get_by_text("of 40 candidates").first.wait_for()
    click_key(page, "job_cancel_2")
    page.get_by_text("Job 2 · attrprompt · cancelled").wait_for(timeout=30_000)
    settle(page)
    screenshot(page, "12-generate-job-cancelled")
    stopped = job_requests.job_progress(server.store, jobs.get_job(server.store, 2)).stored
    assert stopped < 40

    click_key(page, "job_resume_2")
    page.get_by_text("40 of 40 candidates").wait_for(timeout=60_000)
    page.get_by_text("Job 2 · attrprompt · done").wait_for()
    assert jobs.get_job(server.store, 2).status == JobStatus.DONE
    assert job_requests.job_progress(server.store, jobs.get_job(server.store, 2)).stored == 40
