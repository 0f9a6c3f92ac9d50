"""Whole projects: a backup zip the app restores, a duplicate, a guarded delete.

The backup is an export zip of every candidate (raw, with review history) beside
recipe.json, so Export -> Import -> "A project from a recipe" brings it all back.
"""

from __future__ import annotations

from seedbed.errors import ExportError, StoreError
from seedbed.files.bundle import ExportOptions, MemorySink, write_export
from seedbed.files.recipe import Bundle, ImportedProject, build_recipe, import_project, recipe_json
from seedbed.jobs import state as jobs
from seedbed.models import CandidateFilter, Project
from seedbed.store.core import Store


def backup_zip(store: Store, project: Project) -> bytes:
    """recipe.json and every candidate of every status as raw.jsonl, in one zip."""
    sink = MemorySink()
    everything = ExportOptions(formats=["raw"], where=CandidateFilter())
    try:
        write_export(store, project, everything, sink)
    except ExportError:  # no candidate yet: the recipe alone is the whole project
        sink.files = {"recipe.json": recipe_json(build_recipe(store, project))}
    return sink.zip_bytes()


def duplicate_project(store: Store, project: Project, name: str) -> ImportedProject:
    """A new project with `project`'s kind, labels, seed tasks and attribute dimensions
    (not its candidates), named `name` (or `name (2)` when taken)."""
    if not name.strip():
        raise StoreError("Give the copy a name.")
    return import_project(store, Bundle(build_recipe(store, project)), name.strip())


def delete_project(store: Store, project: Project, typed_name: str) -> None:
    """Delete `project` and everything in it, once the user typed its exact name."""
    if typed_name != project.name:
        raise StoreError("Type the project's name exactly to delete it.")
    if any(job.project_id == project.id for job in jobs.live_jobs(store)):
        raise StoreError("A job of this project is still running: stop it first.")
    store.delete_project(project.id)
