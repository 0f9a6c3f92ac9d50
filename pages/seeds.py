"""Seeds: edit the project's seed tasks; import and export Self-Instruct's seed_tasks.jsonl."""

import pandas as pd
import streamlit as st

from components.router import require_router
from components.state import get_store, plain, require_project
from seedbed.files.importers import detect_format, parse_file, seed_tasks_from
from seedbed.files.seeds import (
    SEED_ROW_COLUMNS,
    dump_seed_tasks_jsonl,
    seed_tasks_from_rows,
    seed_tasks_to_rows,
)

require_router()  # first: no page runs without app.py's sign-in check

store = get_store()
project = require_project(store)
tasks = store.list_seed_tasks(project.id)

st.title("Seed tasks")
st.caption(
    "Each seed task is an instruction with at least one example (input and output). "
    "Self-Instruct shows them to the model as in-context examples."
)


edited = st.data_editor(
    pd.DataFrame(seed_tasks_to_rows(tasks), columns=SEED_ROW_COLUMNS),
    key=f"seeds_editor_{project.id}",
    num_rows="dynamic",
    width="stretch",
    hide_index=True,
    column_config={
        "name": st.column_config.TextColumn("Name", width="small"),
        "instruction": st.column_config.TextColumn("Instruction", width="large", required=True),
        "input": st.column_config.TextColumn("Input (first instance)"),
        "output": st.column_config.TextColumn("Output (first instance)", required=True),
        "is_classification": st.column_config.CheckboxColumn("Classification", default=False),
        "more": None,
    },
)
new_tasks, problems = seed_tasks_from_rows(edited.to_dict("records"))
for problem in problems:
    st.error(plain(problem))
changed = [t.model_dump(exclude={"id"}) for t in new_tasks] != [
    t.model_dump(exclude={"id"}) for t in tasks
]
save = st.button("Save changes", type="primary", disabled=bool(problems) or not changed)
if save:
    store.replace_seed_tasks(project.id, new_tasks)
    st.success(f"Saved {len(new_tasks)} seed tasks.")
    st.rerun()
elif changed and not problems:
    st.caption("Unsaved changes.")

left, right = st.columns(2)
with left:
    st.subheader("Import")
    upload = st.file_uploader(
        "seed_tasks.jsonl, or Alpaca, ShareGPT, OpenAI chat JSONL or CSV",
        type=["jsonl", "json", "csv"],
        key="seeds_upload",
    )
    if "seeds_import_done" in st.session_state:
        st.success(st.session_state.pop("seeds_import_done"))
    if upload is not None:
        data = upload.getvalue()
        parsed = parse_file(data, detect_format(upload.name, data))
        imported, errors = seed_tasks_from(parsed)
        for error in errors:
            st.warning(plain(f"Skipped {error}"))
        # Same instruction and instances: already here (the store adds it once).
        here = {task.content_key() for task in tasks}
        fresh = len({task.content_key() for task in imported} - here)
        if imported:
            st.caption(f"{len(imported) - fresh} already here, {fresh} new.")
        if imported and st.button(f"Import {len(imported)} valid tasks", key="seeds_import"):
            added = store.add_seed_tasks(project.id, imported)
            st.session_state["seeds_import_done"] = (
                f"{len(imported) - added} already here, {added} added."
            )
            st.rerun()
        if not imported:
            st.error("No valid task in this file.")
with right:
    st.subheader("Export")
    st.download_button(
        "Download seed_tasks.jsonl",
        dump_seed_tasks_jsonl(tasks),
        file_name="seed_tasks.jsonl",
        mime="application/jsonl",
        disabled=not tasks,
    )
