"""Import widgets: data as candidates, projects from recipes (attribute files: Attributes page)."""

from __future__ import annotations

import streamlit as st

from components.state import annotator, plain
from seedbed.errors import InputError, SeedbedError
from seedbed.files.import_store import candidates_count, import_items, store_items
from seedbed.files.importers import IMPORT_FORMATS, detect_format, parse_file
from seedbed.files.recipe import import_project, read_bundle
from seedbed.models import CandidateStatus, Project
from seedbed.store.core import Store

_SHOWN_ERRORS = 20


# Markdown that could turn a file name or a recipe's text into a link, an image, HTML,
# a coloured directive or math; escaped so such text shows as it is.


def show_problems(problems: list[str]) -> None:
    """One warning per problem, the first 20 of them, and how many more there are."""
    for problem in problems[:_SHOWN_ERRORS]:
        st.warning(plain(problem))
    if len(problems) > _SHOWN_ERRORS:
        st.warning(f"…and {len(problems) - _SHOWN_ERRORS} more problems.")


def _data_file(store: Store, project: Project) -> None:
    st.subheader(plain(f"Data as candidates, into '{project.name}'"))
    st.caption(
        "Alpaca, ShareGPT, OpenAI chat, classification JSONL, CSV, or a Seedbed raw export "
        "(which keeps statuses, edits and review history). Bad lines are skipped and listed."
    )
    upload = st.file_uploader("Data file", type=["jsonl", "json", "csv"], key="import_data_file")
    choices = ["auto", *[fmt for fmt in IMPORT_FORMATS if fmt != "seed_tasks"]]
    fmt = st.selectbox(
        "Format",
        choices,
        format_func=lambda key: "detect from the file" if key == "auto" else IMPORT_FORMATS[key],
        key="import_data_format",
    )
    status = st.radio(
        "Import as", ["pending", "accepted"], horizontal=True, key="import_data_status"
    )
    if upload is None:
        return
    data = upload.getvalue()
    fmt = detect_format(upload.name, data) if fmt == "auto" else fmt
    items, errors = import_items(
        parse_file(data, fmt),
        project,
        CandidateStatus(status),
        annotator() or "import",
        source=upload.name,
    )
    valid = f"{len(items):,} valid record" + ("" if len(items) == 1 else "s")
    st.caption(f"Read as {IMPORT_FORMATS[fmt]}: {valid}.")
    show_problems([f"Skipped {error}" for error in errors])
    done_key = f"import_done_{upload.file_id}"
    if st.session_state.get(done_key):
        st.success(st.session_state[done_key])
        return
    if items and st.button(f"Import {len(items):,} records", key="import_data_go"):
        ids = store_items(store, project.id, items)
        st.session_state[done_key] = plain(
            f"Imported {candidates_count(len(ids))} from {upload.name}."
        )
        st.rerun()


def import_project_panel(store: Store) -> None:
    """A new project from a recipe.json or an export zip (recipe plus raw records)."""
    st.subheader("A project from a recipe")
    st.caption(
        "recipe.json, or an export zip: the zip's raw files bring back the candidates and "
        "their review history. Import always creates a new project."
    )
    upload = st.file_uploader("Recipe or export zip", type=["json", "zip"], key="import_recipe")
    name = st.text_input("Name of the new project (optional)", key="import_recipe_name")
    if upload is None:
        return
    try:
        bundle = read_bundle(upload.getvalue())
    except InputError as error:  # RecipeError, or a zip that inflates past a limit
        st.error(plain(str(error)))
        return
    show_problems(bundle.errors)
    st.caption(
        plain(
            f"Project '{bundle.recipe.project.name}': {len(bundle.recipe.seed_tasks)} seed "
            f"tasks, {len(bundle.recipe.attribute_dimensions)} attribute dimensions, "
            f"{candidates_count(len(bundle.raw))}."
        )
    )
    if st.button("Create the project", key="import_recipe_go"):
        try:
            created = import_project(store, bundle, name.strip() or None)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
        st.session_state["project_id"] = created.project_id
        st.session_state["import_recipe_done"] = plain(
            f"Created project '{created.name}' with {candidates_count(created.candidates)}."
        )
        st.session_state["import_recipe_notes"] = created.notes
        st.rerun()


def show_import_notices() -> None:
    """What the last project import did (shown once, after the page switched project)."""
    if "import_recipe_done" in st.session_state:
        st.success(st.session_state.pop("import_recipe_done"))
        for note in st.session_state.pop("import_recipe_notes", []):
            st.info(plain(note))


def import_data(store: Store, project: Project) -> None:
    """Every import of the Export page: data as candidates, a new project."""
    _data_file(store, project)
    st.divider()
    import_project_panel(store)
