"""Rename, duplicate or delete the current project (the Overview page)."""

from __future__ import annotations

import re

import streamlit as st

from components.state import plain
from seedbed.errors import SeedbedError, user_input
from seedbed.files.projects import backup_zip, delete_project, duplicate_project
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
    """Rename, duplicate and delete (typed confirmation, a backup offered first)."""
    with st.expander("Rename, duplicate or delete this project"):
        rename, duplicate, delete = st.tabs(["Rename", "Duplicate", "Delete"])
        with rename:
            _rename(store, project)
        with duplicate:
            _duplicate(store, project)
        with delete:
            _delete(store, project)


def show_project_notice() -> None:
    """What the last rename, copy or delete did (shown once, after the rerun)."""
    if "project_notice" in st.session_state:
        st.success(plain(st.session_state.pop("project_notice")))
