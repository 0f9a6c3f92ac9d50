"""Generate: pick a method, see the exact prompt, preview a few candidates."""

import streamlit as st

from components.cards import candidate_card
from components.state import get_backend, get_store, require_project
from seedbed import runner
from seedbed.llm import BackendError, local_backend
from seedbed.models import GenerationParams

store = get_store()
project = require_project(store)

st.title("Generate")
methods = runner.available_methods(store, project)
if not methods:
    st.info("Add seed tasks (for Self-Instruct) or attribute dimensions (for AttrPrompt) first.")
    st.stop()
if st.session_state.pop("generate_next_seed", False):
    st.session_state["generate_seed"] = st.session_state.get("generate_seed", 0) + 1

method = st.selectbox("Method", list(methods), format_func=methods.get, key="generate_method")
left, right = st.columns(2)
n = left.slider("Candidates in the preview", 1, 8, 3, key="generate_n")
seed = right.number_input("Random seed", min_value=0, step=1, key="generate_seed")

defaults = runner.default_params(method)
with st.expander("Sampling parameters"):
    a, b, c = st.columns(3)
    params = GenerationParams(
        temperature=a.slider("Temperature", 0.0, 2.0, defaults.temperature, 0.05),
        top_p=b.slider("Top-p", 0.05, 1.0, defaults.top_p, 0.05),
        max_tokens=c.number_input("Max tokens", 16, 4096, defaults.max_tokens, 16),
        presence_penalty=defaults.presence_penalty,
        stop=defaults.stop,
    )

try:
    planned = runner.plan_requests(store, project, method, n, int(seed))
except ValueError as error:
    st.error(str(error))
    st.stop()

st.subheader("The exact prompt")
shown = 0
if len(planned) > 1:
    shown = st.selectbox(
        f"{len(planned)} requests in this preview",
        range(len(planned)),
        format_func=lambda i: f"Request {i + 1}",
        key="generate_shown_request",
    )
for message in planned[shown].messages:
    st.caption(message.role)
    st.code(message.content, language=None, wrap_lines=True)
if project.kind == "instruction":
    st.caption("Each new instruction is then sent on its own, at temperature 0, for its output.")

try:
    st.caption(f"Backend: {get_backend().describe()}")
except BackendError as error:
    st.warning(str(error))

if st.button("Generate preview", type="primary", key="generate_run"):
    progress = st.progress(0.0, text="Starting…")
    try:
        backend = get_backend()
        if backend.name == "embedded" and not local_backend.is_loaded():
            progress.progress(0.0, text="Loading the embedded model (about 20 s, once)…")
        report = runner.run_generation(
            store,
            backend,
            project,
            method,
            n,
            params,
            int(seed),
            on_progress=lambda done, total, _: progress.progress(
                done / max(total, 1), text=f"{done} of {total} requests answered"
            ),
        )
    except BackendError as error:
        progress.empty()
        st.error(str(error))
        st.stop()
    st.session_state["generate_last"] = report
    st.session_state["generate_next_seed"] = True
    st.rerun()

report = st.session_state.get("generate_last")
if report is not None:
    count = len(report.candidate_ids)
    st.subheader(f"Preview: {count} new candidate{'s' if count != 1 else ''}, stored as pending")
    for note in report.notes:
        st.info(note)
    for error in report.errors:
        st.warning(f"A request failed: {error}")
    for candidate_id in report.candidate_ids:
        candidate = store.get_candidate(candidate_id)
        if candidate is not None:
            with st.container(border=True):
                candidate_card(candidate)
    if report.candidate_ids:
        st.page_link("pages/review.py", label="Review them", icon=":material/fact_check:")
