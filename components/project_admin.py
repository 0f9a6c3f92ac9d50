"""Rename, word the prompts of, duplicate or delete the current project (the Overview page)."""

from __future__ import annotations

import re

import streamlit as st

from components.state import plain
from seedbed.errors import SeedbedError, user_input
from seedbed.files.projects import backup_zip, delete_project, duplicate_project
from seedbed.methods.common import LABEL_PHRASES, item_noun
from seedbed.models import Project
from seedbed.store.core import Store


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "project"


def _rename(store: Store, project: Project) -> None:
    new_name = st.text_input("New name", value=project.name, key=f"project_rename_{project.id}")
    if st.button("Rename", key="project_rename_go", disabled=new_name.strip() == project.name):
        try:
            with user_input("Rename"):
                renamed = Project.model_validate(project.model_dump() | {"name": new_name})
            store.update_project(renamed)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
        st.session_state["project_notice"] = f"Renamed to '{renamed.name}'."
        st.rerun()


def _wording(store: Store, project: Project) -> None:
    """What prompts call an item and how they tie it to its label (AttrPrompt, baseline)."""
    item = st.text_input(
        "Item name",
        value=project.item_name,
        placeholder=item_noun(project.model_copy(update={"item_name": ""})),
        key=f"project_item_name_{project.id}",
        help="What one generated item is called in prompts, e.g. news article, product review.",
    )
    presets = {**LABEL_PHRASES, "custom": ""}
    current = project.label_phrase or LABEL_PHRASES["topic"]
    preset = next((n for n, text in presets.items() if text == current), "custom")
    choice = st.selectbox(
        "Label phrase",
        list(presets),
        index=list(presets).index(preset),
        key=f"project_phrase_preset_{project.id}",
        help="How a prompt ties an item to its label: a topic, a sentiment, an intent.",
    )
    phrase = presets[choice] or st.text_input(
        "Your phrase, with {label} where the label goes",
        value=current,
        key=f"project_phrase_custom_{project.id}",
    )
    example = project.labels[0] if project.labels else "label"
    st.caption(
        plain(
            f"Prompts read: Write one {item.strip() or 'item'} "
            f"{phrase.replace('{label}', example)}."
        )
    )
    if st.button("Save the wording", key="project_wording_go"):
        try:
            with user_input("Prompt wording"):
                changed = Project.model_validate(
                    project.model_dump() | {"item_name": item.strip(), "label_phrase": phrase}
                )
            store.update_project(changed)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
        st.session_state["project_notice"] = "Saved the prompt wording."
        st.rerun()


def _duplicate(store: Store, project: Project) -> None:
    st.caption("Copies the kind, labels, seed tasks and attribute dimensions; not candidates.")
    name = st.text_input(
        "Name of the copy", value=f"{project.name} (copy)", key=f"project_copy_{project.id}"
    )
    if st.button("Duplicate", key="project_copy_go"):
        try:
            copy = duplicate_project(store, project, name)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
        st.session_state["project_id"] = copy.project_id
        st.session_state["project_notice"] = f"Created '{copy.name}', a copy of '{project.name}'."
        st.rerun()


def _delete(store: Store, project: Project) -> None:
    st.caption(
        "Deleting removes the seed tasks, attributes, candidates and reviews for good. "
        'Download a backup first: Export -> Import -> "A project from a recipe" restores it.'
    )
    if st.button("Prepare a backup", key="project_backup"):
        st.session_state["project_backup_zip"] = (project.id, backup_zip(store, project))
    ready = st.session_state.get("project_backup_zip")
    if ready is not None and ready[0] == project.id:
        st.download_button(
            "Download the backup (zip)",
            ready[1],
            file_name=f"{_file_stem(project.name)}-backup.zip",
            mime="application/zip",
            key="project_backup_download",
        )
    typed = st.text_input(
        "Type the project's name to delete it", key=f"project_delete_name_{project.id}"
    )
    if st.button("Delete the project", key="project_delete_go", disabled=typed != project.name):
        try:
            delete_project(store, project, typed)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
        st.session_state.pop("project_id", None)
        st.session_state.pop("project_backup_zip", None)
        st.session_state["project_notice"] = f"Deleted '{project.name}'."
        st.rerun()


def project_admin(store: Store, project: Project) -> None:
    """Rename, word the prompts, duplicate and delete (typed confirmation, a backup first)."""
    with st.expander("Rename, duplicate, word or delete this project"):
        rename, wording, duplicate, delete = st.tabs(
            ["Rename", "Prompt wording", "Duplicate", "Delete"]
        )
        with rename:
            _rename(store, project)
        with wording:
            _wording(store, project)
        with duplicate:
            _duplicate(store, project)
        with delete:
            _delete(store, project)


def show_project_notice() -> None:
    """What the last rename, copy or delete did (shown once, after the rerun)."""
    if "project_notice" in st.session_state:
        st.success(plain(st.session_state.pop("project_notice")))
