"""The main journey in a real browser, on the real embedded model."""

from __future__ import annotations

import json

import pytest

from seedbed.models import CandidateStatus
from tests.e2e.conftest import Server, screenshot

pytestmark = pytest.mark.e2e

# Loading SmolLM2 in the server takes about 20 s on these machines, generating a few seconds.
MODEL_TIMEOUT = 180_000


def go_to(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title if title != "Attributes" else "Attribute dimensions")


def settle(page) -> None:
    """Wait until the script run is over (the status widget hides), before a screenshot."""
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=MODEL_TIMEOUT)


def click_key(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


@pytest.mark.slow
def test_preset_to_export_with_the_embedded_model(page, server: Server) -> None:
    page.goto(server.url)
    page.get_by_text("Load a demo project").wait_for()
    click_key(page, "overview_load_news-topics")
    page.get_by_role("heading", name="News topic classification").wait_for()
    settle(page)
    screenshot(page, "01-overview")

    go_to(page, "Generate")
    page.get_by_text("The exact prompt").wait_for()
    slider = page.locator(".st-key-generate_n input[type=range]")
    slider.focus()
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    page.get_by_text("Write one news article").first.wait_for()
    # A short text keeps the embedded model quick: no room made for "about 150 words".
    page.get_by_text("Method options").click()
    margin = page.get_by_role("spinbutton", name="Length margin")
    margin.fill("0")
    margin.press("Enter")
    settle(page)
    page.get_by_text("Sampling parameters").click()
    max_tokens = page.get_by_label("Max tokens")
    max_tokens.fill("48")
    max_tokens.press("Enter")
    settle(page)
    screenshot(page, "02-generate-prompt")
    click_key(page, "generate_run")
    page.get_by_text("1 new candidate, stored as pending").wait_for(timeout=MODEL_TIMEOUT)
    settle(page)
    screenshot(page, "03-generate-preview")

    project = server.store.list_projects()[0]
    [candidate] = server.store.list_candidates(project.id)
    assert candidate.status == CandidateStatus.PENDING
    assert candidate.model == "SmolLM2-135M-Instruct"
    assert candidate.params["max_tokens"] == 48
    assert candidate.content["text"].strip()

    go_to(page, "Review")
    page.get_by_text(candidate.content["text"][:40], exact=False).first.wait_for()
    settle(page)
    screenshot(page, "04-review")
    click_key(page, "review_accept")
    page.get_by_text("Nothing is waiting for review.").wait_for()
    assert server.store.get_candidate(candidate.id).status == CandidateStatus.ACCEPTED

    go_to(page, "Export")
    page.get_by_text("First records").wait_for()
    settle(page)
    screenshot(page, "05-export")
    click_key(page, "export_prepare")  # files, dataset card (embeds the texts) and recipe
    download = page.locator(".st-key-export_download_classification_jsonl button")
    download.wait_for(timeout=MODEL_TIMEOUT)
    with page.expect_download() as download_info:
        download.click()
    path = download_info.value.path()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert records == [{"text": candidate.content["text"], "label": candidate.label}]
