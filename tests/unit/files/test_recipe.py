"""Recipes: what they hold, and importing one (with a raw export) gives back the same project."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from seedbed.cli import main as cli
from seedbed.errors import RecipeError
from seedbed.files.bundle import ExportOptions, MemorySink, write_export
from seedbed.files.recipe import (
    Bundle,
    build_recipe,
    import_project,
    read_bundle,
    read_recipe,
    recipe_json,
)
from seedbed.jobs import state as jobs
from seedbed.llm import BackendConfig
from seedbed.methods.prompts import TEMPLATE_DIR
from seedbed.models import Candidate, CandidateFilter, Project
from seedbed.review import curation
from seedbed.store.core import Store
from tests.export_data import INSTRUCTIONS, NEWS, Filled, fill


@pytest.fixture
def store(every_store: Store) -> Store:
    """Every test here runs on SQLite and, when configured, on PostgreSQL."""
    return every_store


@pytest.fixture
def filled(store: Store) -> Filled:
    return fill(store)


def export_zip(store: Store, project_id: int) -> bytes:
    """What the Export page's zip holds for every candidate, with the raw format."""
    sink = MemorySink()
    options = ExportOptions(formats=["raw", "alpaca"], where=CandidateFilter())
    write_export(store, store.get_project(project_id), options, sink)
    return sink.zip_bytes()


def test_the_recipe_holds_what_reproduces_the_project(store: Store, filled: Filled) -> None:
    settings = jobs.JobSettings(
        method="attrprompt",
        n=40,
        seed=3,
        backend=BackendConfig(kind="openai", model="gpt-test", base_url="http://127.0.0.1:9/v1"),
    )
    jobs.create_job(store, filled.news_id, settings)
    recipe = build_recipe(store, store.get_project(filled.news_id))
    assert recipe.project.name == NEWS and recipe.project.labels[0] == "business"
    seeds = store.list_seed_tasks(filled.news_id)
    assert [task.id for task in recipe.seed_tasks] == [f"seed_task_{n}" for n in range(len(seeds))]
    assert [task.instruction for task in recipe.seed_tasks] == [t.instruction for t in seeds]
    assert [d.name for d in recipe.attribute_dimensions] == [
        "length",
        "style",
        "subtopic",
        "location",
    ]
    assert recipe.templates["attrprompt.jinja2"] == (TEMPLATE_DIR / "attrprompt.jinja2").read_text()
    assert set(recipe.templates) == {p.name for p in TEMPLATE_DIR.glob("*.jinja2")}
    assert recipe.filters["novelty_rouge_l_max"] == 0.7 and recipe.filters["max_words"] == 150
    [job] = recipe.jobs
    assert (job["method"], job["n"], job["seed"]) == ("attrprompt", 40, 3)
    assert job["backend"] == {
        "kind": "openai",
        "model": "gpt-test",
        "base_url": "http://127.0.0.1:9/v1",
        "extra_body": {},
        "timeout": 60.0,  # the request timeout it ran with
    }
    [used] = recipe.models_used
    assert (used.method, used.model, used.candidates) == ("attrprompt", "fake-model", 7)
    assert used.params == {"temperature": 1.0, "backend": "fake"}
    assert read_recipe(recipe_json(recipe).encode()) == recipe


def test_a_recipe_makes_a_new_project(store: Store, filled: Filled) -> None:
    news = store.get_project(filled.news_id)
    similar = {news.labels[0]: [news.labels[1]]}
    store.update_project(news.model_copy(update={"similar_labels": similar}))
    recipe = build_recipe(store, store.get_project(filled.news_id))
    assert recipe.project.similar_labels == similar
    created = import_project(store, Bundle(recipe))
    assert created.name == f"{NEWS} (2)" and created.candidates == 0 and created.notes == []
    new = store.get_project(created.project_id)
    assert new.model_dump(exclude={"id", "name"}) == recipe.project.model_dump(
        exclude={"id", "name"}
    )
    new_seeds = [t.model_dump(exclude={"id"}) for t in store.list_seed_tasks(created.project_id)]
    assert new_seeds == [
        t.model_dump(exclude={"id"}) for t in store.list_seed_tasks(filled.news_id)
    ]
    old_dims = [d.model_dump(exclude={"id"}) for d in store.list_dimensions(filled.news_id)]
    new_dims = [d.model_dump(exclude={"id"}) for d in store.list_dimensions(created.project_id)]
    assert new_dims == old_dims
    named = import_project(store, Bundle(recipe), name="Newsroom")
    assert named.name == "Newsroom"


def project_state(store: Store, project_id: int) -> dict:
    """Everything a project holds, without the ids the database hands out."""
    candidates = list(store.iter_candidates(project_id))
    position = {c.id: n for n, c in enumerate(candidates)}
    histories = []
    for candidate in candidates:
        reviews = store.list_reviews(candidate.id)
        review_position = {r.id: n for n, r in enumerate(reviews)}
        histories.append(
            [
                r.model_dump(exclude={"id", "candidate_id", "undoes_id"})
                | {"undoes": review_position.get(r.undoes_id)}
                for r in reviews
            ]
        )
    dumped = []
    for c in candidates:
        data = c.model_dump(exclude={"id", "project_id", "job_id"})
        if "parent_id" in data["lineage"]:
            data["lineage"]["parent_id"] = position[data["lineage"]["parent_id"]]
        dumped.append(data)
    return {
        "project": store.get_project(project_id).model_dump(exclude={"id", "name"}),
        "seeds": [t.model_dump(exclude={"id"}) for t in store.list_seed_tasks(project_id)],
        "dimensions": [d.model_dump(exclude={"id"}) for d in store.list_dimensions(project_id)],
        "candidates": dumped,
        "reviews": histories,
    }


def test_raw_export_then_import_gives_back_the_same_project(store: Store, filled: Filled) -> None:
    # An undone decision and a child candidate (lineage) must survive the trip too.
    curation.undo_last(store, filled.instruction_id, "ben")
    child = Candidate(
        project_id=filled.instruction_id,
        content={"instruction": "Name two planets with rings.", "input": "", "output": "Saturn"},
        method="evol_instruct",
        lineage={"parent_id": filled.ids["plain"], "operation": "deepen", "generation": 1},
    )
    store.add_candidate(child)
    data = export_zip(store, filled.instruction_id)

    bundle = read_bundle(data)
    assert bundle.errors == [] and len(bundle.raw) == 7
    created = import_project(store, bundle)
    assert created.candidates == 7
    assert project_state(store, created.project_id) == project_state(store, filled.instruction_id)
    undo = [r for c in store.iter_candidates(created.project_id) for r in store.list_reviews(c.id)]
    [undo_row] = [r for r in undo if r.decision == "undo"]
    assert store.get_candidate(undo_row.candidate_id).project_id == created.project_id
    assert undo_row.undoes_id in {r.id for r in undo}


def test_the_split_raw_files_of_a_zip_are_read_together(store: Store, filled: Filled) -> None:
    sink = MemorySink()
    options = ExportOptions(formats=["raw"], where=CandidateFilter(), validation_fraction=0.3)
    write_export(store, store.get_project(filled.news_id), options, sink)
    assert {"raw-train.jsonl", "raw-validation.jsonl"} <= set(sink.files)
    created = import_project(store, read_bundle(sink.zip_bytes()))
    assert store.count_candidates(created.project_id) == 7


def test_differences_from_this_installation_are_noted(store: Store, filled: Filled) -> None:
    recipe = build_recipe(store, store.get_project(filled.instruction_id))
    recipe.templates["attrprompt.jinja2"] = "Something else {{ label }}"
    recipe.templates["gone.jinja2"] = "Old"
    recipe.filters["max_words"] = 90
    notes = import_project(store, Bundle(recipe)).notes
    assert notes == [
        "Template attrprompt.jinja2 differs from this installation's; generation here uses "
        "this installation's templates.",
        "Template gone.jinja2 is missing here; generation here uses this installation's templates.",
        "Filter setting max_words was 90, here it is 150.",
    ]


def test_bad_recipes_and_bundles_are_refused_and_write_nothing(
    store: Store, filled: Filled
) -> None:
    with pytest.raises(RecipeError, match="recipe.json is not a Seedbed recipe"):
        read_recipe(b'{"format": "something-else"}')
    with pytest.raises(RecipeError, match="is not a Seedbed recipe"):
        read_bundle(b"not json at all")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("alpaca.jsonl", "{}\n")
    with pytest.raises(RecipeError, match="The zip holds no recipe.json"):
        read_bundle(empty.getvalue())

    # A raw record whose label is not one of the recipe's labels: nothing lands.
    bundle = read_bundle(export_zip(store, filled.news_id))
    bundle.recipe.project = Project.model_validate(
        bundle.recipe.project.model_dump() | {"labels": ["business", "politics"]}
    )
    projects_before = len(store.list_projects())
    with pytest.raises(RecipeError, match="'sports' is not a label of this project"):
        import_project(store, bundle)
    assert len(store.list_projects()) == projects_before


def test_a_recipe_with_a_blank_seed_instruction_is_refused(store: Store, filled: Filled) -> None:
    recipe = build_recipe(store, store.get_project(filled.instruction_id))
    bundle = read_bundle(recipe_json(recipe).encode())
    assert bundle.recipe.seed_tasks  # the filled project has seeds to spoil
    bundle.recipe.seed_tasks[0].instruction = "   "
    projects_before = len(store.list_projects())
    with pytest.raises(RecipeError, match="seed task in recipe.json is not valid"):
        import_project(store, bundle)
    assert len(store.list_projects()) == projects_before


def test_a_malformed_raw_line_is_reported_with_its_file_and_line(
    store: Store, filled: Filled
) -> None:
    original = read_bundle(export_zip(store, filled.news_id))
    buffer = io.BytesIO()
    raw = [r.model_dump(mode="json") for r in original.raw]
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("recipe.json", recipe_json(original.recipe))
        lines = [json.dumps(r) for r in raw[:2]] + ["{broken"] + [json.dumps(r) for r in raw[2:]]
        archive.writestr("raw.jsonl", "\n".join(lines) + "\n")
    bundle = read_bundle(buffer.getvalue())
    assert bundle.errors == [
        "raw.jsonl line 3: not valid JSON (Expecting property name enclosed in double quotes)"
    ]
    assert len(bundle.raw) == 7


def test_cli_imports_a_recipe_and_an_export_zip(
    store: Store, filled: Filled, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", store.url)
    recipe_path = tmp_path / "recipe.json"
    recipe_path.write_text(recipe_json(build_recipe(store, store.get_project(filled.news_id))))
    assert cli.main(["import", str(recipe_path), "--name", "From recipe"]) == 0
    assert "created project 'From recipe' with 0 candidates" in capsys.readouterr().out
    archive = tmp_path / "export.zip"
    archive.write_bytes(export_zip(store, filled.instruction_id))
    assert cli.main(["import", str(archive)]) == 0
    assert f"created project '{INSTRUCTIONS} (2)' with 6 candidates" in capsys.readouterr().out
