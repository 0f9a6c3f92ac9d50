"""Projects on the Overview page (rename, duplicate, delete) and idempotent seed imports."""

from __future__ import annotations

import io
import zipfile

from seedbed.files.seeds import dump_seed_tasks_jsonl
from seedbed.models import Project
from seedbed.store.core import Store
from tests.app.test_pages import add_candidate, open_app, project_id, seen

NEWS = "News topic classification"
GENERAL = "General instruction tuning"


def test_importing_the_same_seeds_twice_adds_nothing(demo_store: Store) -> None:
    pid = project_id(demo_store, GENERAL)
    tasks = demo_store.list_seed_tasks(pid)
    data = dump_seed_tasks_jsonl(tasks).encode()
    at = open_app("seeds", project=GENERAL)
    at.file_uploader(key="seeds_upload").set_value(("seed_tasks.jsonl", data, "application/jsonl"))
    at.run()
    assert f"{len(tasks)} already here, 0 new." in [c.value for c in at.caption]
    at.button(key="seeds_import").click().run()
    assert [s.value for s in at.success] == [f"{len(tasks)} already here, 0 added."]
    assert len(demo_store.list_seed_tasks(pid)) == len(tasks)


def test_rename_the_project(demo_store: Store) -> None:
    at = open_app(project=NEWS)
    pid = project_id(demo_store, NEWS)
    at.text_input(key=f"project_rename_{pid}").input("AG News replication").run()
    at.button(key="project_rename_go").click().run()
    assert demo_store.get_project(pid).name == "AG News replication"
    assert at.header[0].value == "AG News replication"
    assert seen(at.success[0].value) == "Renamed to 'AG News replication'."


def test_the_prompt_wording_is_set_on_overview_and_used_by_generate(demo_store: Store) -> None:
    at = open_app(project=NEWS)
    pid = project_id(demo_store, NEWS)
    at.text_input(key=f"project_item_name_{pid}").input("product review").run()
    at.selectbox(key=f"project_phrase_preset_{pid}").select("sentiment").run()
    assert any("Write one product review whose sentiment is" in seen(c.value) for c in at.caption)
    at.button(key="project_wording_go").click().run()
    stored = demo_store.get_project(pid)
    assert (stored.item_name, stored.label_phrase) == (
        "product review",
        'whose sentiment is "{label}"',
    )
    generate = open_app("generate", project=NEWS)
    assert generate.code[0].value.startswith('Write one product review whose sentiment is "')


def test_a_custom_label_phrase_without_the_label_is_refused(demo_store: Store) -> None:
    at = open_app(project=NEWS)
    pid = project_id(demo_store, NEWS)
    at.selectbox(key=f"project_phrase_preset_{pid}").select("custom").run()
    at.text_input(key=f"project_phrase_custom_{pid}").input("about sentiment").run()
    at.button(key="project_wording_go").click().run()
    assert any("must contain {label}" in seen(e.value) for e in at.error)
    assert demo_store.get_project(pid).label_phrase == ""


def test_renaming_to_a_taken_name_says_so(demo_store: Store) -> None:
    at = open_app(project=NEWS)
    pid = project_id(demo_store, NEWS)
    at.text_input(key=f"project_rename_{pid}").input(GENERAL).run()
    at.button(key="project_rename_go").click().run()
    assert "already exists" in seen(at.error[0].value)
    assert demo_store.get_project(pid).name == NEWS


def test_duplicate_copies_the_setup_and_opens_the_copy(demo_store: Store) -> None:
    source = project_id(demo_store, NEWS)
    add_candidate(demo_store, NEWS, text="Stocks rose.", label="business")
    at = open_app(project=NEWS)
    at.button(key="project_copy_go").click().run()
    copy = project_id(demo_store, f"{NEWS} (copy)")
    assert at.session_state["project_id"] == copy
    assert seen(at.header[0].value) == f"{NEWS} (copy)"
    assert len(demo_store.list_dimensions(copy)) == len(demo_store.list_dimensions(source))
    assert demo_store.get_project(copy).labels == demo_store.get_project(source).labels
    assert demo_store.count_candidates(copy) == 0


def test_delete_needs_the_typed_name_and_offers_a_backup_first(demo_store: Store) -> None:
    add_candidate(demo_store, NEWS, text="Stocks rose.", label="business")
    pid = project_id(demo_store, NEWS)
    at = open_app(project=NEWS)
    at.button(key="project_backup").click().run()
    backup = at.get("download_button")[0]
    assert backup.proto.label == "Download the backup (zip)"
    assert at.button(key="project_delete_go").disabled
    at.text_input(key=f"project_delete_name_{pid}").input("news").run()
    assert at.button(key="project_delete_go").disabled  # not the exact name
    at.text_input(key=f"project_delete_name_{pid}").input(NEWS).run()
    at.button(key="project_delete_go").click().run()
    assert [p.name for p in demo_store.list_projects()] == [GENERAL]
    assert seen(at.success[0].value) == f"Deleted '{NEWS}'."
    assert at.header[0].value == GENERAL


def test_the_backup_holds_the_recipe_and_every_candidate(demo_store: Store) -> None:
    from seedbed.files.projects import backup_zip
    from seedbed.files.recipe import import_project, read_bundle

    add_candidate(demo_store, NEWS, text="Stocks rose.", label="business")
    project = demo_store.get_project(project_id(demo_store, NEWS))
    data = backup_zip(demo_store, project)
    assert {"recipe.json", "raw.jsonl"} <= set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    restored = import_project(demo_store, read_bundle(data), "Restored")
    assert restored.candidates == 1


def test_an_empty_project_is_not_told_to_generate(store: Store) -> None:
    store.create_project(Project(name="Empty"))
    at = open_app(project="Empty")
    links = [link.proto.label for link in at.get("page_link")]
    assert "Generate a first preview" not in links
    assert "Add seed tasks to generate from" in links
