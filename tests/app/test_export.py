"""The Export page through AppTest: selection, preview, prepared files, and every import."""

from __future__ import annotations

import json
import re
import time

import pytest

from seedbed.files.bundle import MemorySink
from seedbed.files.recipe import build_recipe, recipe_json
from seedbed.models import Candidate, CandidateStatus
from seedbed.store.core import Store
from tests.app.test_pages import open_app
from tests.export_data import INSTRUCTIONS, NEWS, fill, project_id
from tests.insight_fixtures import held_embedder


def as_shown(markdown: str) -> str:
    """What the user reads: messages escape markdown so file contents show literally."""
    return re.sub(r"\\(.)", r"\1", markdown)


def downloads(at) -> list[str]:
    return [button.proto.label for button in at.get("download_button")]


def test_the_preview_shows_accepted_records_in_the_chosen_format(store: Store) -> None:
    fill(store)
    at = open_app("export", project=NEWS)
    assert at.caption[0].value == "7 candidates match."
    first = json.loads(at.code[0].value.splitlines()[0])
    assert first == {"text": "Shares in Kopa Haraka rose 4% in Nairobi.", "label": "business"}
    at.multiselect(key="export_formats").set_value(["openai_chat"]).run()
    at.text_input(key="export_system_prompt").input("You label news.").run()
    record = json.loads(at.code[0].value.splitlines()[0])
    assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    assert record["messages"][0]["content"] == "You label news."


def test_the_filter_panel_narrows_the_selection(store: Store) -> None:
    fill(store)
    at = open_app("export", project=NEWS)
    at.multiselect(key="export_filter_labels").set_value(["sports"]).run()
    assert at.caption[0].value == "2 candidates match."
    assert {json.loads(line)["label"] for line in at.code[0].value.splitlines()} == {"sports"}
    at.multiselect(key="export_filter_statuses").set_value([]).run()
    at.text_input(key="export_filter_text").input("relay").run()
    assert at.caption[0].value == "1 candidate matches."


def test_prepared_files_are_offered_for_download(store: Store) -> None:
    fill(store)
    at = open_app("export", project=NEWS)
    at.multiselect(key="export_formats").set_value(["classification", "raw"])
    at.slider(key="export_validation").set_value(30)
    at.selectbox(key="export_license").set_value("cc-by-4.0")
    at.checkbox(key="export_measure").uncheck()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    files = at.session_state["export_files"]["files"]
    assert set(files) == {
        "classification-train.jsonl",
        "classification-validation.jsonl",
        "raw-train.jsonl",
        "raw-validation.jsonl",
        "README.md",
        "recipe.json",
    }
    assert [s.value for s in at.success] == ["Ready: 5 train, 2 validation."]
    labels = downloads(at)
    assert labels[0] == "Download everything (zip: data, README.md, recipe.json)"
    assert "classification-train.jsonl (5 records)" in labels
    card = next(code.value for code in at.code if code.value.startswith("---"))
    assert 'license: "cc-by-4.0"' in card and "| train | 5 |" in card
    # Changing an option asks for the files again instead of offering stale ones.
    at.slider(key="export_validation").set_value(0).run()
    assert downloads(at) == []
    assert any("prepare them again" in caption.value for caption in at.caption)
    # Files prepared for one project are never offered on another.
    at.slider(key="export_validation").set_value(30).run()
    assert downloads(at)
    at.session_state["project_id"] = project_id(store, INSTRUCTIONS)
    at.run()
    assert not at.exception and downloads(at) == []


def test_empty_outputs_are_counted_and_left_out_of_the_files(store: Store) -> None:
    fill(store)
    pid = project_id(store, INSTRUCTIONS)
    content = {"instruction": "Name a moon of Mars.", "input": "", "output": " "}
    store.add_candidate(
        Candidate(project_id=pid, content=content, method="x", status=CandidateStatus.ACCEPTED)
    )
    at = open_app("export", project=INSTRUCTIONS)
    assert [w.value for w in at.warning] == [
        "1 of them will be left out: an empty output or text is not data "
        "(fill the field with Edit on the Review page to include one)."
    ]
    at.checkbox(key="export_measure").uncheck()
    at.button(key="export_prepare").click().run()
    assert [s.value for s in at.success] == [
        "Ready: 3 records. 1 left out: an empty output or text is not data."
    ]
    alpaca = at.session_state["export_files"]["files"]["alpaca.jsonl"]
    assert "Mars" not in alpaca


def test_data_import_reports_bad_lines_and_stores_the_good_ones(store: Store) -> None:
    filled = fill(store)
    before = store.count_candidates(filled.instruction_id)
    lines = [
        json.dumps({"instruction": "Name a moon of Saturn.", "output": "Titan"}),
        "{broken",
        json.dumps({"instruction": "No output."}),
    ]
    at = open_app("export", project=INSTRUCTIONS)
    at.file_uploader(key="import_data_file").set_value(
        ("more.jsonl", "\n".join(lines).encode(), "application/jsonl")
    )
    at.radio(key="import_data_status").set_value("accepted").run()
    warnings = [as_shown(w.value) for w in at.warning]
    assert warnings[0].startswith("Skipped line 2: not valid JSON")
    assert warnings[1] == "Skipped line 3: output: Field required"
    assert store.count_candidates(filled.instruction_id) == before  # nothing before the click
    at.button(key="import_data_go").click().run()
    assert store.count_candidates(filled.instruction_id) == before + 1
    newest = store.list_candidates(filled.instruction_id, newest_first=True, limit=1)[0]
    assert newest.status == CandidateStatus.ACCEPTED and newest.final_content["output"] == "Titan"
    assert "Imported 1 candidate from more.jsonl." in [as_shown(s.value) for s in at.success]
    # The same upload cannot be imported twice by a second click.
    assert "import_data_go" not in [button.key for button in at.button]


def test_a_recipe_creates_a_project_and_switches_to_it(store: Store) -> None:
    filled = fill(store)
    recipe = recipe_json(build_recipe(store, store.get_project(filled.news_id)))
    at = open_app("export", project=INSTRUCTIONS)
    at.file_uploader(key="import_recipe").set_value(
        ("recipe.json", recipe.encode(), "application/json")
    )
    at.text_input(key="import_recipe_name").input("Newsroom").run()
    at.button(key="import_recipe_go").click().run()
    assert not at.exception, at.exception
    created = next(p for p in store.list_projects() if p.name == "Newsroom")
    assert at.session_state["project_id"] == created.id
    assert "Created project 'Newsroom' with 0 candidates." in [
        as_shown(s.value) for s in at.success
    ]
    assert len(store.list_seed_tasks(created.id)) == len(store.list_seed_tasks(filled.news_id))


def test_without_a_project_the_page_offers_to_import_one(store: Store) -> None:
    source = Store(store.url)
    fill(source)
    sink = MemorySink()
    sink.files["recipe.json"] = recipe_json(build_recipe(source, source.list_projects()[1]))
    for project in source.list_projects():
        source.delete_project(project.id)
    at = open_app("export")
    assert "import one from a recipe" in at.info[0].value
    at.file_uploader(key="import_recipe").set_value(
        ("news.zip", sink.zip_bytes(), "application/zip")
    )
    at.run()
    at.button(key="import_recipe_go").click().run()
    assert [p.name for p in store.list_projects()] == [NEWS]


def test_the_seeds_page_imports_other_instruction_formats(store: Store) -> None:
    filled = fill(store)
    before = len(store.list_seed_tasks(filled.instruction_id))
    data = b"instruction,input,output\nName a moon.,,Titan\nNo output.,,\n"
    at = open_app("seeds", project=INSTRUCTIONS)
    at.file_uploader(key="seeds_upload").set_value(("more.csv", data, "text/csv")).run()
    assert [as_shown(w.value) for w in at.warning] == ["Skipped line 3: the output is empty"]
    at.button(key="seeds_import").click().run()
    tasks = store.list_seed_tasks(filled.instruction_id)
    assert len(tasks) == before + 1
    assert tasks[-1].instruction == "Name a moon." and tasks[-1].instances[0].output == "Titan"


def test_a_slow_export_is_written_on_the_server_behind_a_bar(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = held_embedder(monkeypatch)
    fill(store)
    at = open_app("export", project=NEWS)
    at.button(key="export_prepare").click().run()  # the card's diversity embeds the texts
    assert not at.exception and not at.success and at.get("progress")
    at.multiselect(key="export_filter_labels").set_value(["sports"]).run()
    at.multiselect(key="export_filter_labels").set_value([]).run()
    assert at.get("progress")  # other widgets answer; the same work is still watched

    gate.set()
    deadline = time.monotonic() + 30
    while not at.success:
        assert time.monotonic() < deadline, "the files never came"
        time.sleep(0.2)
        at.run()
    [ready] = [s.value for s in at.success]
    assert ready.startswith("Ready: 7 records. Average pairwise similarity 0.")
    assert (
        "Average pairwise cosine similarity"
        in at.session_state["export_files"]["files"]["README.md"]
    )
