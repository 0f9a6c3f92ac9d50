"""A job for workers in a real browser: queued on the page, run by a worker process.

The worker has its own API key (the browser session has none the server takes:
the job could not run in the app) and sends the job through the fake server's
Batch API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobStatus
from tests.conftest import ROOT
from tests.e2e.conftest import Server, screenshot
from tests.e2e.test_generate_jobs import ARTICLE, click_key, fill_key, settle
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def fake_api() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key="worker-key", batch_seconds=1) as fake:
        yield fake


def test_a_job_queued_on_the_page_is_run_by_a_worker_through_the_batch_api(
    page, server: Server, fake_api: FakeOpenAIServer, tmp_path
) -> None:
    page.goto(server.url)
    click_key(page, "overview_load_news-topics")
    page.get_by_role("heading", name="News topic classification").wait_for()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radiogroup").get_by_text("OpenAI-compatible server").click()
    settle(page)
    for label, value in (("Base URL", fake_api.base_url), ("Model", "fake-model")):
        field = sidebar.get_by_role("textbox", name=label)
        field.fill(value)
        field.press("Enter")
        settle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Generate", exact=True).click()
    page.get_by_text("The exact prompt").wait_for()

    fill_key(page, "generate_batch_n", "12")
    page.locator(".st-key-generate_on_workers label").first.click()
    fill_key(page, "generate_batch_from", "10")
    settle(page)
    click_key(page, "generate_start")
    page.get_by_text("Job 1 · attrprompt · queued for workers").wait_for()
    settle(page)
    screenshot(page, "13-generate-job-queued-for-workers")
    assert fake_api.chat_requests == []  # nothing runs in the app

    env = {**os.environ, "DATABASE_URL": server.store.url, "OPENAI_API_KEY": "worker-key"}
    env["SEEDBED_BATCH_POLL_SECONDS"] = "0.2"
    out = (tmp_path / "worker.out").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "seedbed", "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        page.get_by_text("12 of 12 candidates").wait_for(timeout=60_000)
        page.get_by_text("Job 1 · attrprompt · done").wait_for()
        batch_line = page.get_by_text("12 requests to fake-model, completed")
        batch_line.wait_for()
        settle(page)
        batch_line.scroll_into_view_if_needed()
        screenshot(page, "14-generate-job-done-by-a-worker")
    finally:
        worker.terminate()
        worker.wait(20)
        out.close()
    assert jobs.get_job(server.store, 1).status == JobStatus.DONE
    assert {request.method for request in fake_api.chat_requests} == {"BATCH"}
    assert len(fake_api.chat_requests) == 12
