"""Generate: pick a method and its options, see the exact prompt, preview a few, run a job."""

import json

import streamlit as st

from components.cards import candidate_card
from components.estimate import job_estimate
from components.job_progress import jobs_section, price_editor
from components.method_options import option_widgets, sampling_widgets
from components.preview_stream import run_preview
from components.router import require_router
from components.state import (
    api_key,
    backend_config,
    get_backend,
    get_store,
    keep_across_pages,
    plain,
    require_project,
    set_extra_params,
)
from seedbed.cluster import cluster_address
from seedbed.errors import BackendError, SeedbedError
from seedbed.jobs import requests as job_requests
from seedbed.jobs import runner
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import local_backend, parse_extra_params
from seedbed.methods import METHODS
from seedbed.models import CandidateFilter

require_router()  # first: no page runs without app.py's sign-in check

store = get_store()
project = require_project(store)

st.title("Generate")
unavailable = runner.unavailable_methods(store, project)
available = [name for name in METHODS if name not in unavailable]
for name, reason in unavailable.items():
    st.caption(f"{METHODS[name].title} is not available here: {reason}")
if not available:
    st.info("No method can run on this project yet: add seed tasks or attribute dimensions.")
    st.stop()
if st.session_state.pop("generate_next_seed", False):
    st.session_state["generate_seed"] = st.session_state.get("generate_seed", 0) + 1

name = st.selectbox(
    "Method", available, format_func=lambda n: METHODS[n].title, key="generate_method"
)
method = METHODS[name]
st.caption(method.description)
options = option_widgets(method, project, key="generate")
if params := sampling_widgets(method, key="generate"):
    options["params"] = params

config = backend_config()
extra_problem = None
if config.kind == "openai":
    # The widget's own value goes with a page switch; the kept parameters fill it again.
    if "generate_extra_params" not in st.session_state and config.extra_body:
        st.session_state["generate_extra_params"] = json.dumps(config.extra_body)
    extra_text = st.text_input(
        "Extra request parameters (JSON)",
        key="generate_extra_params",
        placeholder='{"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1}',
        help="Sent with every request as more fields of the body (the openai client's "
        "extra_body), e.g. vLLM's or llama.cpp's top_k, min_p, repetition_penalty.",
    )
    try:
        config = set_extra_params(store, parse_extra_params(extra_text))
    except SeedbedError as error:
        extra_problem = str(error)
        st.error(plain(f"{extra_problem} Nothing runs until it is fixed."))
stage_backends = {}
if config.kind == "openai" and len(method.stages) > 1:
    with st.expander("Models by stage"):
        st.caption(
            "Empty: the sidebar's model. E.g. a cheap model to classify, a strong one to write."
        )
        for stage in method.stages:
            model = st.text_input(
                stage, key=f"generate_model_{name}_{stage}", placeholder=config.model
            )
            if model.strip():
                stage_backends[stage] = config.model_copy(update={"model": model.strip()})

left, right = st.columns(2)
n = left.slider("Candidates in the preview", 1, 8, 3, key="generate_n")
seed = right.number_input("Random seed", min_value=0, step=1, key="generate_seed")
settings = JobSettings(
    method=name,
    n=n,
    seed=int(seed),
    options=options,
    backend=config,
    stage_backends=stage_backends,
    preview=True,
)
try:
    planned, reason = runner.preview_requests(store, project, settings)
except SeedbedError as error:
    planned, reason = [], str(error)
if reason:
    st.warning(plain(reason))
    st.stop()

st.subheader("The exact prompt")
shown = 0
if len(planned) > 1:
    shown = st.selectbox(
        f"The first {len(planned)} requests of this preview",
        range(len(planned)),
        format_func=lambda i: f"Request {i + 1}",
        key="generate_shown_request",
    )
for message in planned[shown].messages:
    st.caption(f"{message.role} · stage {planned[shown].stage}")
    st.code(message.content, language=None, wrap_lines=True)
if len(method.stages) > 1:
    st.caption(
        f"Stages: {' → '.join(method.stages)}. A later stage's prompts depend on earlier "
        "replies; each candidate records the prompt it came from."
    )
try:
    st.caption(f"Backend: {get_backend().describe()}")
except BackendError as error:
    st.warning(plain(str(error)))

if st.button("Generate preview", type="primary", key="generate_run", disabled=bool(extra_problem)):
    bar = st.progress(0.0, text="Starting…")
    if config.kind == "embedded" and not local_backend.is_loaded():
        bar.progress(0.0, text="Loading the embedded model (a second, once)…")
    job_id = runner.start_job(store, project, settings)
    st.session_state["generate_last"] = job_id  # shown when done, even if the page reran
    run_preview(store, job_id, api_key(), bar)
    st.session_state["generate_next_seed"] = True
    st.rerun()

last = jobs.get_job(store, st.session_state.get("generate_last", 0))
if last is not None and last.project_id == project.id:
    made = store.list_candidates(project.id, CandidateFilter(job_ids=[last.id]), limit=100)
    if last.status == JobStatus.FAILED:
        st.error(plain(last.message or "The job failed."))
    else:
        count = len(made)
        st.subheader(
            f"Preview: {count} new candidate{'s' if count != 1 else ''}, stored as pending"
        )
        if last.message:
            st.info(plain(last.message))
    for record in job_requests.failed_requests(store, last.id):
        st.warning(plain(f"A request failed: {record.error}"))
    for candidate in made:
        with st.container(border=True):
            candidate_card(candidate)
    if made:
        st.page_link("pages/review.py", label="Review them", icon=":material/fact_check:")

st.subheader("Run a job")
st.caption(
    "A job runs in the background and stores each candidate as it arrives; it survives a "
    "restart (it resumes) and stops before passing a budget cap."
)
a, b, c = st.columns(3)
keep_across_pages("generate_batch_n", 50)
keep_across_pages("generate_concurrency", 8)
batch_n = a.number_input("Candidates", 1, 100_000, key="generate_batch_n")
concurrency = b.number_input("Requests at once", 1, 64, key="generate_concurrency")
cap = c.selectbox("Budget cap", ["none", "tokens", "US dollars"], key="generate_budget_kind")
budget: dict[str, float | int] = {}
if cap == "tokens":
    budget["budget_tokens"] = int(
        st.number_input("Most tokens", 1, 10**9, 100_000, 1000, key="generate_budget_tokens")
    )
elif cap == "US dollars":
    budget["budget_usd"] = float(
        st.number_input("Most US dollars", 0.01, 10_000.0, 1.0, 0.5, key="generate_budget_usd")
    )
where, batching = st.columns(2, vertical_alignment="center")
address = cluster_address()
on_cluster = where.checkbox(
    "Run on the Ray cluster",
    value=address is not None,
    disabled=address is None,
    key="generate_on_cluster",
    help="Hand the job to the Ray cluster at RAY_ADDRESS: its requests go out from every "
    "node, each with its own OPENAI_API_KEY, and it outlives this server. "
    + ("" if address else "Start the app with RAY_ADDRESS set to use one."),
)
if config.kind == "openai":
    batch_from = batching.number_input(
        "Batch API from this many candidates (0: never)",
        0,
        100_000,
        0,
        key="generate_batch_from",
        help="Large jobs go through the provider's Batch API: half the price at OpenAI, "
        "results within 24 hours. Servers without one get the requests directly.",
    )
    budget["batch_from"] = int(batch_from) or None
budget["semantic_duplicates"] = where.checkbox(
    "Flag semantic duplicates",
    key="generate_semantic_duplicates",
    help="Every candidate is checked against the pool (seeds, accepted and pending "
    "candidates) for shared word 3-grams (MinHash). This adds a check of meaning: "
    "all-MiniLM-L6-v2 embedding cosine at least 0.9, the closest pool text shown.",
)
job_settings = settings.model_copy(
    update={"n": int(batch_n), "concurrency": int(concurrency), "preview": False, **budget}
)
job_estimate(store, project, job_settings)
if st.button("Start job", key="generate_start", disabled=bool(extra_problem)):
    try:
        if on_cluster and address:
            from seedbed.jobs import ray_runner  # Ray is imported only when a cluster is used

            cluster_settings = job_settings.model_copy(update={"cluster": True})
            ray_runner.submit(store, runner.start_job(store, project, cluster_settings), address)
        else:
            job_id = runner.start_job(store, project, job_settings)
            runner.run_in_background(store, job_id, api_key())
    except SeedbedError as error:
        st.error(plain(str(error)))
    else:
        st.rerun()

jobs_section(store, project.id)
price_editor(store)
