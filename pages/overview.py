"""Overview: the project's state at a glance, demo presets, and a new project."""

import streamlit as st

from components.project_admin import project_admin, show_project_notice
from components.router import require_router
from components.state import current_project, get_store, plain
from seedbed.errors import SeedbedError, user_input
from seedbed.files.presets import list_presets, load_preset
from seedbed.models import Project, ProjectKind

require_router()  # first: no page runs without app.py's sign-in check

store = get_store()
project = current_project(store)

st.title(":material/spa: Seedbed")
st.caption("Grow curated training data from a handful of seed tasks, with a human in the loop.")

show_project_notice()
if project is not None:
    st.header(plain(project.name))
    if project.description:
        st.text(project.description)
    counts = store.count_by_status(project.id)
    seed_count = len(store.list_seed_tasks(project.id))
    dimension_count = len(store.list_dimensions(project.id))
    columns = st.columns(5)
    columns[0].metric("Seed tasks", seed_count)
    columns[1].metric("Attribute dimensions", dimension_count)
    columns[2].metric("Pending review", counts["pending"])
    columns[3].metric("Accepted", counts["accepted"])
    columns[4].metric("Rejected", counts["rejected"])
    if project.labels:
        st.caption("Labels: " + ", ".join(plain(label) for label in project.labels))
    if counts["pending"]:
        st.page_link("pages/review.py", label=f"Review {counts['pending']} pending candidates")
    elif counts["accepted"]:
        st.page_link("pages/export.py", label="Export the accepted set")
    elif seed_count or dimension_count or project.labels:
        st.page_link("pages/generate.py", label="Generate a first preview")
    else:  # every method starts from seed tasks, attribute values or labels
        st.page_link("pages/seeds.py", label="Add seed tasks to generate from")
        st.page_link("pages/attributes.py", label="Or attribute dimensions (AttrPrompt)")
    project_admin(store, project)

st.subheader("Load a demo project")
for preset in list_presets():
    left, right = st.columns([4, 1])
    left.markdown(f"**{preset.project.name}**: {preset.project.description}")
    left.caption(
        f"{len(preset.seed_tasks)} seed tasks, {len(preset.dimensions)} attribute dimensions"
    )
    if right.button("Load", key=f"overview_load_{preset.slug}"):
        st.session_state["project_id"] = load_preset(store, preset)
        st.rerun()

with st.expander("New empty project"), st.form("overview_new_project"):
    name = st.text_input("Name")
    kind = st.radio(
        "Kind",
        list(ProjectKind),
        format_func=lambda k: {
            "instruction": "Instruction data",
            "classification": "Labelled text classification",
        }[k],
    )
    labels = st.text_input("Labels (comma separated, for classification)")
    if st.form_submit_button("Create project"):
        try:
            with user_input("New project"):
                labelled = [x for x in labels.split(",") if x.strip()]
                new = Project(name=name, kind=kind, labels=labelled)
            st.session_state["project_id"] = store.create_project(new)
            st.rerun()
        except SeedbedError as error:
            st.error(plain(str(error)))
