"""Seeds: edit the project's seed tasks; import and export Self-Instruct's seed_tasks.jsonl."""

import json

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from components.state import get_store, require_project
from seedbed.models import Instance, SeedTask
from seedbed.seedio import dump_seed_tasks_jsonl, parse_seed_tasks_jsonl

store = get_store()
project = require_project(store)
tasks = store.list_seed_tasks(project.id)

st.title("Seed tasks")
st.caption(
    "Each seed task is an instruction with at least one example (input and output). "
    "Self-Instruct shows them to the model as in-context examples."
)


def _frame(tasks: list[SeedTask]) -> pd.DataFrame:
    rows = [
        {
            "name": task.name,
            "instruction": task.instruction,
            "input": task.instances[0].input,
            "output": task.instances[0].output,
            "is_classification": task.is_classification,
            # Further instances ride along in a hidden column so edits keep them.
            "more": json.dumps([i.model_dump() for i in task.instances[1:]]),
        }
        for task in tasks
    ]
    columns = ["name", "instruction", "input", "output", "is_classification", "more"]
    return pd.DataFrame(rows, columns=columns)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _tasks_from(frame: pd.DataFrame) -> tuple[list[SeedTask], list[str]]:
    parsed, problems = [], []
    for number, row in enumerate(frame.to_dict("records"), start=1):
        try:
            more = [Instance(**item) for item in json.loads(_text(row.get("more")) or "[]")]
            first = Instance(input=_text(row["input"]), output=_text(row["output"]))
            parsed.append(
                SeedTask(
                    name=_text(row["name"]),
                    instruction=_text(row["instruction"]),
                    instances=[first, *more],
                    is_classification=bool(row["is_classification"]),
                )
            )
        except ValidationError as error:
            reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
            problems.append(f"Row {number}: {reasons}")
    return parsed, problems


edited = st.data_editor(
    _frame(tasks),
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
new_tasks, problems = _tasks_from(edited)
for problem in problems:
    st.error(problem)
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
    upload = st.file_uploader("seed_tasks.jsonl", type=["jsonl", "json"], key="seeds_upload")
    if upload is not None:
        text = upload.getvalue().decode("utf-8", errors="replace")
        imported, errors = parse_seed_tasks_jsonl(text)
        for error in errors:
            st.warning(f"Skipped {error}")
        if imported and st.button(f"Import {len(imported)} valid tasks", key="seeds_import"):
            store.add_seed_tasks(project.id, imported)
            st.success(f"Imported {len(imported)} tasks.")
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
