"""The demo projects shipped in `seeds/`, loadable with one click."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from seedbed.files.seeds import parse_seed_tasks_jsonl
from seedbed.models import AttributeDimension, Project, SeedTask
from seedbed.store.core import Store

PRESET_DIR = Path(__file__).resolve().parents[2] / "seeds"


@dataclass
class Preset:
    slug: str
    project: Project
    seed_tasks: list[SeedTask]
    dimensions: list[AttributeDimension]


def read_preset(folder: Path) -> Preset:
    """Read and validate a preset folder: project.json, seed_tasks.jsonl, attributes.json."""
    project = Project.model_validate_json((folder / "project.json").read_text(encoding="utf-8"))
    tasks, errors = parse_seed_tasks_jsonl(
        (folder / "seed_tasks.jsonl").read_text(encoding="utf-8")
    )
    if errors:
        raise ValueError(f"{folder.name}/seed_tasks.jsonl: " + "; ".join(map(str, errors)))
    attributes_file = folder / "attributes.json"
    dimensions = []
    if attributes_file.exists():
        raw = json.loads(attributes_file.read_text(encoding="utf-8"))
        dimensions = [AttributeDimension.model_validate(item) for item in raw]
    return Preset(folder.name, project, tasks, dimensions)


def list_presets(directory: Path = PRESET_DIR) -> list[Preset]:
    return [read_preset(p) for p in sorted(directory.iterdir()) if (p / "project.json").exists()]


def _free_name(store: Store, name: str) -> str:
    taken = {project.name for project in store.list_projects()}
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


def load_preset(store: Store, preset: Preset) -> int:
    """Create a project from a preset (renamed if the name is taken); returns its id."""
    project = preset.project.model_copy(update={"name": _free_name(store, preset.project.name)})
    project_id = store.create_project(project)
    store.add_seed_tasks(project_id, preset.seed_tasks)
    store.replace_dimensions(project_id, preset.dimensions)
    return project_id


def ensure_demo_projects(store: Store) -> list[int]:
    """Load every preset into an empty database; do nothing when projects exist."""
    if store.list_projects():
        return []
    return [load_preset(store, preset) for preset in list_presets()]
