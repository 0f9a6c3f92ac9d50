"""The shipped demo projects are valid and load once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedbed.files.presets import (
    PRESET_DIR,
    Preset,
    ensure_demo_projects,
    list_presets,
    load_preset,
    read_preset,
)
from seedbed.models import ProjectKind
from seedbed.store.core import Store


def presets_by_kind() -> dict[ProjectKind, Preset]:
    return {preset.project.kind: preset for preset in list_presets()}


def test_every_shipped_preset_validates() -> None:
    folders = [p for p in sorted(PRESET_DIR.iterdir()) if (p / "project.json").exists()]
    assert len(folders) >= 2
    for folder in folders:
        preset = read_preset(folder)  # raises on any invalid line or field
        assert preset.seed_tasks, folder.name
        instructions = [task.instruction for task in preset.seed_tasks]
        assert len(set(instructions)) == len(instructions), f"{folder.name}: duplicate seeds"


def test_instruction_preset_is_a_broad_seed_set() -> None:
    preset = presets_by_kind()[ProjectKind.INSTRUCTION]
    assert len(preset.seed_tasks) >= 30
    assert sum(task.is_classification for task in preset.seed_tasks) >= 3
    assert sum(not task.is_classification for task in preset.seed_tasks) >= 20


def test_news_preset_has_labels_and_the_four_attribute_dimensions() -> None:
    preset = presets_by_kind()[ProjectKind.CLASSIFICATION]
    labels = preset.project.labels
    assert len(labels) >= 4
    dimensions = {d.name: d for d in preset.dimensions}
    assert list(dimensions) == ["length", "style", "subtopic", "location"]
    assert set(dimensions["subtopic"].per_label) == set(labels)
    assert all(dimensions["subtopic"].values_for(label) for label in labels)
    for name in ("length", "style", "location"):
        assert len(dimensions[name].values) >= 3, name
    # Every seed example is labelled with one of the project's labels.
    outputs = {i.output for task in preset.seed_tasks for i in task.instances}
    assert outputs <= set(labels)


def test_ensure_demo_projects_loads_into_an_empty_database_once(store: Store) -> None:
    loaded = ensure_demo_projects(store)
    assert len(loaded) == len(list_presets())
    projects = store.list_projects()
    assert {p.name for p in projects} == {p.project.name for p in list_presets()}
    news = next(p for p in projects if p.kind == ProjectKind.CLASSIFICATION)
    assert len(store.list_dimensions(news.id)) == 4
    assert store.list_seed_tasks(news.id)

    assert ensure_demo_projects(store) == []
    assert len(store.list_projects()) == len(projects)


def test_ensure_demo_projects_leaves_a_used_database_alone(store: Store) -> None:
    preset = list_presets()[0]
    load_preset(store, preset)
    assert ensure_demo_projects(store) == []
    assert len(store.list_projects()) == 1


def test_loading_a_preset_twice_renames_the_copy(store: Store) -> None:
    preset = presets_by_kind()[ProjectKind.INSTRUCTION]
    first = load_preset(store, preset)
    second = load_preset(store, preset)
    third = load_preset(store, preset)

    name = preset.project.name
    assert [store.get_project(i).name for i in (first, second, third)] == [
        name,
        f"{name} (2)",
        f"{name} (3)",
    ]
    assert len(store.list_seed_tasks(second)) == len(preset.seed_tasks)


def test_a_broken_preset_names_the_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "project.json").write_text(json.dumps({"name": "Broken"}), encoding="utf-8")
    good = json.dumps({"instruction": "Say hi.", "instances": [{"output": "hi"}]})
    (folder / "seed_tasks.jsonl").write_text(f"{good}\n{{oops\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"broken/seed_tasks.jsonl: line 2: not valid JSON"):
        read_preset(folder)
