"""Export in a real browser: prepare the files, download the zip and one file, parse them."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.e2e.conftest import Server, click_tab, screenshot
from tests.export_data import fill

pytestmark = pytest.mark.e2e

EMBEDDER_TIMEOUT = 120_000  # the card's diversity measure loads sentence-transformers
FIRST_RUN_TIMEOUT = 90_000


def settle(page) -> None:
    """Let the last elements draw before a screenshot.

    Not the status widget: in a work tree others edit, Streamlit's "source file
    changed" notice keeps it visible.
    """
    page.wait_for_timeout(1000)


def open_export(page, server: Server) -> None:
    page.goto(server.url)
    link = page.get_by_test_id("stSidebarNav").get_by_text("Export", exact=True)
    link.wait_for(timeout=FIRST_RUN_TIMEOUT)  # a first run on busy cores can be slow
    link.click()


@pytest.mark.slow
def test_download_the_export_zip_and_a_single_file(page, server: Server) -> None:
    fill(server.store)
    open_export(page, server)
    page.get_by_text("First records").wait_for()
    page.locator(".st-key-export_formats input").click()
    page.get_by_role("option", name="Raw with provenance").click()
    page.keyboard.press("Escape")
    page.locator(".st-key-export_prepare button").click()
    zip_button = page.locator(".st-key-export_download_zip button")
    zip_button.wait_for(timeout=EMBEDDER_TIMEOUT)
    page.get_by_text("Dataset card (README.md)").click()
    page.get_by_text("pretty_name").wait_for()
    settle(page)
    screenshot(page, "export-prepared")

    with page.expect_download() as zip_download:
        zip_button.click()
    with zipfile.ZipFile(io.BytesIO(zip_download.value.path().read_bytes())) as archive:
        names = sorted(archive.namelist())
        alpaca = archive.read("alpaca.jsonl").decode("utf-8")
        raw = [json.loads(line) for line in archive.read("raw.jsonl").decode().splitlines()]
        card = archive.read("README.md").decode("utf-8")
        recipe = json.loads(archive.read("recipe.json"))
    assert names == ["README.md", "alpaca.jsonl", "raw.jsonl", "recipe.json"]
    assert [json.loads(line) for line in alpaca.splitlines()] == [
        {"instruction": "Name a planet with rings.", "input": "", "output": "Saturn"},
        {"instruction": "Greet in French.", "input": "a friend", "output": "Bonjour, ça va ? 😊"},
        {"instruction": "  name a PLANET with rings. ", "input": "", "output": "Uranus"},
    ]
    assert raw[1]["content"]["output"] == "Bonjour" and raw[1]["reviews"][0]["annotator"] == "ben"
    assert "over 3 records (lower is more diverse)" in card
    assert recipe["format"] == "seedbed-recipe" and recipe["project"]["name"] == raw[0]["project"]

    with page.expect_download() as file_download:
        page.locator(".st-key-export_download_alpaca_jsonl button").click()
    assert file_download.value.suggested_filename == "alpaca.jsonl"
    assert file_download.value.path().read_text(encoding="utf-8") == alpaca


def test_import_a_data_file_in_the_browser(page, server: Server, tmp_path) -> None:
    filled = fill(server.store)
    before = server.store.count_candidates(filled.instruction_id)
    data = tmp_path / "more.jsonl"
    good = {"instruction": "Name a moon of Saturn.", "input": "", "output": "Titan"}
    data.write_text(json.dumps(good) + "\n{broken\n", encoding="utf-8")
    open_export(page, server)
    click_tab(page, "Import")
    page.locator(".st-key-import_data_file input[type=file]").set_input_files(str(data))
    page.get_by_text("Skipped line 2: not valid JSON").wait_for()
    page.locator(".st-key-import_data_go button").click()
    page.get_by_text("Imported 1 candidate from more.jsonl.").wait_for()
    settle(page)
    screenshot(page, "export-import-data")
    assert server.store.count_candidates(filled.instruction_id) == before + 1
