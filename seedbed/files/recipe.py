"""Recipes: everything needed to reproduce a project, as one JSON file another user imports.

A recipe holds the project (name, kind, labels), the seed tasks, the attribute
dimensions, the prompt templates, the filter thresholds and the model
parameters used. Importing one creates a new project; with a raw export beside
it (the export zip), the candidates and their review history come back too.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from seedbed.checks import BLOCKLIST, MAX_WORDS, MIN_WORDS, NOVELTY_THRESHOLD, REFUSAL_PATTERNS
from seedbed.errors import RecipeError
from seedbed.files.archives import DEFAULT_LIMITS, ZipLimits, read_zip
from seedbed.files.formats import RawRecord
from seedbed.files.import_store import ImportItem, import_items, insert_items
from seedbed.files.importers import ParsedFile, parse_file
from seedbed.files.seeds import SeedTaskRecord, _reason
from seedbed.jobs import state as jobs
from seedbed.methods.prompts import TEMPLATE_DIR
from seedbed.models import AttributeDimension, Project, SeedTask, Strict, utcnow
from seedbed.store import schema as t
from seedbed.store.core import Store, insert_dimensions, insert_seed_tasks

RECIPE_FILE = "recipe.json"


class ModelUse(Strict):
    """One combination of method, model and parameters the project's candidates came from."""

    method: str
    model: str
    params: dict[str, float | int | str | bool | None]
    candidates: int


class Recipe(Strict):
    format: Literal["seedbed-recipe"] = "seedbed-recipe"
    version: Literal[1] = 1
    created_at: datetime = Field(default_factory=utcnow)
    project: Project
    seed_tasks: list[SeedTaskRecord] = Field(default_factory=list)
    attribute_dimensions: list[AttributeDimension] = Field(default_factory=list)
    templates: dict[str, str] = Field(default_factory=dict)
    filters: dict[str, float | int | str | list[str]] = Field(default_factory=dict)
    # The settings of every generation job (method, n, seed, options with the sampling
    # parameters by stage, models and base URLs; never a key), oldest first.
    jobs: list[dict[str, Any]] = Field(default_factory=list)
    models_used: list[ModelUse] = Field(default_factory=list)


def current_templates() -> dict[str, str]:
    """This installation's prompt templates, by file name."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TEMPLATE_DIR.glob("*.jinja2"))}


def current_filters() -> dict[str, float | int | str | list[str]]:
    """The automatic checks' default thresholds as this installation applies them."""
    return {
        "novelty_rouge_l_max": NOVELTY_THRESHOLD,
        "min_words": MIN_WORDS,
        "max_words": MAX_WORDS,
        "blocklist": list(BLOCKLIST),
        "refusal_pattern": REFUSAL_PATTERNS.pattern,
    }


def _job_settings(store: Store, project_id: int) -> list[dict[str, Any]]:
    found = jobs.list_jobs(store, project_id, limit=100_000)
    return [
        {"job_id": job.id, "status": job.status.value, **job.settings.model_dump(mode="json")}
        for job in reversed(found)
    ]


def _models_used(store: Store, project_id: int) -> list[ModelUse]:
    c = t.candidates.c
    query = select(c.method, c.model, c.params).where(c.project_id == project_id).order_by(c.id)
    counts: dict[str, ModelUse] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            key = json.dumps([row.method, row.model, row.params], sort_keys=True)
            if key not in counts:
                counts[key] = ModelUse(
                    method=row.method, model=row.model, params=row.params, candidates=0
                )
            counts[key].candidates += 1
    return list(counts.values())


def build_recipe(store: Store, project: Project) -> Recipe:
    """The recipe of `project` as it stands now."""
    tasks = store.list_seed_tasks(project.id)
    return Recipe(
        project=project.model_copy(update={"id": None}),
        seed_tasks=[
            SeedTaskRecord(id=f"seed_task_{index}", **task.model_dump(exclude={"id"}))
            for index, task in enumerate(tasks)
        ],
        attribute_dimensions=[
            d.model_copy(update={"id": None}) for d in store.list_dimensions(project.id)
        ],
        templates=current_templates(),
        filters=current_filters(),
        jobs=_job_settings(store, project.id),
        models_used=_models_used(store, project.id),
    )


def recipe_json(recipe: Recipe) -> str:
    return recipe.model_dump_json(indent=2, exclude_none=False) + "\n"


def read_recipe(data: bytes) -> Recipe:
    try:
        return Recipe.model_validate_json(data.removeprefix(b"\xef\xbb\xbf"))
    except ValidationError as error:
        raise RecipeError(f"{RECIPE_FILE} is not a Seedbed recipe: {_reason(error)}") from error


@dataclass
class Bundle:
    """A recipe and the raw records exported beside it (an export zip)."""

    recipe: Recipe
    raw: list[RawRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _bundle_file(info: zipfile.ZipInfo) -> bool:
    name = info.filename.rsplit("/", 1)[-1]
    return name == RECIPE_FILE or (name.startswith("raw") and name.endswith(".jsonl"))


def read_bundle(data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> Bundle:
    """A recipe.json, or an export zip holding recipe.json and raw JSONL files.

    Raises RecipeError when there is no recipe, ArchiveError when the zip inflates past `limits`.
    """
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return Bundle(read_recipe(data))
    files = read_zip(data, _bundle_file, limits)
    recipe_name = next((n for n in files if n.rsplit("/", 1)[-1] == RECIPE_FILE), None)
    if recipe_name is None:
        raise RecipeError(f"The zip holds no {RECIPE_FILE}.")
    bundle = Bundle(read_recipe(files.pop(recipe_name)))
    for name in sorted(n for n in files if n.endswith(".jsonl")):
        parsed = parse_file(files[name], "raw")
        bundle.raw += parsed.records
        bundle.errors += [f"{name} {error}" for error in parsed.errors]
    return bundle


def _free_name(conn: Connection, name: str) -> str:
    taken = set(conn.execute(select(t.projects.c.name)).scalars())
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


def differences(recipe: Recipe) -> list[str]:
    """What in the recipe differs from this installation (templates, thresholds)."""
    notes = []
    here = current_templates()
    for name, text in recipe.templates.items():
        if here.get(name) != text:
            state = "is missing here" if name not in here else "differs from this installation's"
            notes.append(
                f"Template {name} {state}; generation here uses this installation's templates."
            )
    for key, value in recipe.filters.items():
        if current_filters().get(key) != value:
            notes.append(
                f"Filter setting {key} was {value!r}, here it is {current_filters().get(key)!r}."
            )
    return notes


@dataclass
class ImportedProject:
    project_id: int
    name: str
    candidates: int
    notes: list[str]


def import_project(store: Store, bundle: Bundle, name: str | None = None) -> ImportedProject:
    """Create a new project from a recipe (and its raw records), in one transaction.

    The name is the recipe's (or `name`), with " (2)" and so on added when taken.
    Raises RecipeError when a raw record does not fit the project.
    """
    project = bundle.recipe.project.model_copy(update={"id": None})
    if name:
        project = Project.model_validate(project.model_dump() | {"name": name})
    items: list[ImportItem] = []
    with store.engine.begin() as conn:
        project.name = _free_name(conn, project.name)
        values = project.model_dump(exclude={"id"}, mode="json") | {"created_at": utcnow()}
        project.id = conn.execute(insert(t.projects).values(**values)).inserted_primary_key[0]
        items, errors = import_items(ParsedFile("raw", list(bundle.raw)), project)
        if errors:
            raise RecipeError("; ".join(f"raw record {error}" for error in errors[:5]))
        _insert_setup(conn, project.id, bundle.recipe)
        insert_items(conn, project.id, items)
    return ImportedProject(project.id, project.name, len(items), differences(bundle.recipe))


def _insert_setup(conn: Connection, project_id: int, recipe: Recipe) -> None:
    try:
        tasks = [SeedTask(**task.model_dump(exclude={"id"})) for task in recipe.seed_tasks]
    except ValidationError as error:
        raise RecipeError(f"A seed task in {RECIPE_FILE} is not valid: {_reason(error)}") from error
    insert_seed_tasks(conn, project_id, tasks)
    insert_dimensions(conn, project_id, recipe.attribute_dimensions)
