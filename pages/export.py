"""Export: download the accepted set as JSONL for fine-tuning."""

import streamlit as st

from components.state import get_store, require_project
from seedbed.export import FORMATS, export_lines
from seedbed.models import ACCEPTED

store = get_store()
project = require_project(store)
accepted = store.count_by_status(project.id)["accepted"]

st.title("Export")
st.metric("Accepted candidates", accepted)
if not accepted:
    st.info("Nothing accepted yet: accept candidates on the Review page first.")
    st.stop()

fmt = st.radio("Format", list(FORMATS), format_func=FORMATS.get, key="export_format")
system_prompt = ""
if fmt == "openai_chat":
    system_prompt = st.text_input("System prompt (optional)", key="export_system_prompt")

data = "".join(
    export_lines(store.iter_candidates(project.id, ACCEPTED), project, fmt, system_prompt)
)
st.caption("First records")
st.code("".join(data.splitlines(keepends=True)[:3]), language="json", wrap_lines=True)
slug = "".join(ch if ch.isalnum() else "-" for ch in project.name.lower()).strip("-")
st.download_button(
    f"Download {accepted} record{'s' if accepted != 1 else ''}",
    data.encode("utf-8"),
    file_name=f"{slug}-{fmt}.jsonl",
    mime="application/jsonl",
    type="primary",
    key="export_download",
)
