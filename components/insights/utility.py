"""The utility check section: upload a real labelled set, train on the synthetic one, score.

The check runs on a thread of the server, not in the page's script: embedding thousands
of real texts takes minutes the first time, and meanwhile the page (its other tabs, the
other pages) keeps answering. A small fragment polls the run's counts once a second
while it works; the results are drawn when it is done, and kept for the same selection
and file until either changes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import streamlit as st

from components import charts
from components.insights.data import accepted_part, embedding_progress, file_digest
from components.state import plain
from seedbed.errors import UtilityError
from seedbed.insights.selection import selection_version
from seedbed.insights.utility import (
    SAMPLE_ROWS,
    LabelledText,
    UtilityResult,
    parse_labelled_file,
    run_utility_check,
    stratified_sample,
)
from seedbed.models import CandidateFilter, Project
from seedbed.store.core import Store

KEPT_RUNS = 8  # finished runs kept per server process (each holds a small result)
POLL_SECONDS = 1.0


@dataclass
class UtilityRun:
    """One check running (or run) on a server thread; the thread writes, pages read."""

    what: str = "candidates"
    done: int = 0
    todo: int = 0
    started: float = field(default_factory=time.monotonic)
    result: UtilityResult | None = None
    error: str | None = None
    finished: bool = False

    def progress(self, what: str, done: int, todo: int) -> None:
        if what != self.what or done == 0:
            self.started = time.monotonic()  # the pace of this part only
        self.what, self.done, self.todo = what, done, todo


@st.cache_resource(show_spinner=False)
def _runs() -> tuple[threading.Lock, OrderedDict[str, UtilityRun]]:
    """Every session's runs, by what they check: two sessions asking the same share one."""
    return threading.Lock(), OrderedDict()


def start_run(
    store: Store, project: Project, where: CandidateFilter, digest: str, real: Sequence
) -> UtilityRun:
    """The run checking `where` (accepted items) against the file `digest`, started on a
    thread unless one for the same selection version and file exists."""
    accepted = accepted_part(where)
    version = selection_version(store, project.id, accepted)
    key = f"{store.url}|{project.id}|{accepted.model_dump_json()}|{version}|{digest}"
    lock, runs = _runs()
    with lock:
        run = runs.get(key)
        if run is not None:
            runs.move_to_end(key)
            return run
        run = runs[key] = UtilityRun()
        while len(runs) > KEPT_RUNS:
            oldest = next(iter(runs))
            if not runs[oldest].finished:
                break
            del runs[oldest]
    rows = list(real)
    thread = threading.Thread(
        target=_work, args=(run, store, project.id, accepted, rows), daemon=True
    )
    thread.start()
    return run


def _work(
    run: UtilityRun, store: Store, project_id: int, where: CandidateFilter, real: list
) -> None:
    try:
        run.result = run_utility_check(store, project_id, where, real, run.progress)
    except UtilityError as error:
        run.error = str(error)
    finally:
        # Anything else is a programming error: the thread's traceback goes to the server's
        # log, and the page says the check stopped instead of polling for ever.
        if run.result is None and run.error is None:
            run.error = "The check stopped without a result (an error in Seedbed, logged)."
        run.finished = True


def utility_tab(store: Store, project: Project, selections: Mapping[str, CandidateFilter]) -> None:
    """`selections` maps each selection's display name to its filter."""
    st.caption(
        "How the AttrPrompt paper judges generated data: train a classifier on it and test "
        "on real, human-labelled examples. A logistic regression is trained on the sentence "
        "embeddings of each selection's accepted items and scored on the file you upload."
    )
    if not project.labels:
        st.info("The utility check is for classification projects (items with labels).")
        return
    upload = st.file_uploader(
        "Real labelled set: CSV with text and label columns, or JSONL with text and label keys",
        type=["csv", "jsonl"],
        key="insights_utility_file",
    )
    if upload is None:
        return
    data = upload.getvalue()
    real, errors = parse_labelled_file(upload.name, data)
    if errors:
        st.error("This file cannot be used yet: fix these lines and upload it again.")
        st.code("\n".join(errors), language=None)
        return
    labels = sorted({item.label for item in real})
    st.caption(plain(f"{len(real):,} real items, {len(labels)} labels: " + ", ".join(labels)))
    digest = file_digest(data)
    if len(real) > SAMPLE_ROWS:
        # Every real text is embedded once (then cached): 2,000 take about 10 s on 2
        # cores, AG News' 7,600 about 35 s; a stratified sample keeps each label's share.
        size = int(
            st.number_input(
                "Real items to test on",
                min_value=min(100, len(real)),
                max_value=len(real),
                value=SAMPLE_ROWS,
                step=500,
                key="insights_utility_sample",
                help="Drawn at random, each label keeping its share of the file. Testing on "
                "all of them takes longer the first time (their embeddings are kept).",
            )
        )
        if size < len(real):
            real = stratified_sample(real, size)
            st.caption(f"Testing on {size:,} of the file's items, each label keeping its share.")
        digest = f"{digest}/{size}"
    if st.button("Run the utility check", key="insights_utility_run", type="primary"):
        st.session_state["insights_utility_for"] = digest
    if st.session_state.get("insights_utility_for") != digest:
        return
    columns = st.columns(len(selections))
    for column, (name, where) in zip(columns, selections.items(), strict=True):
        with column:
            if len(selections) > 1:
                st.markdown(f"**{name}**")
            _scores(store, project, where, digest, real)


def _scores(
    store: Store, project: Project, where: CandidateFilter, digest: str, real: list[LabelledText]
) -> None:
    run = start_run(store, project, where, digest, real)
    if not run.finished:
        st.fragment(_watch, run_every=POLL_SECONDS)(run)
        return
    if run.error is not None:
        trained_on = store.count_candidates(project.id, accepted_part(where))
        st.warning(plain(f"{run.error} ({trained_on:,} accepted items in this selection.)"))
        return
    result = run.result
    assert result is not None
    left, right = st.columns(2)
    left.metric("Accuracy", f"{result.accuracy:.1%}", border=True)
    right.metric(
        "Macro-F1",
        f"{result.macro_f1:.3f}",
        border=True,
        help="F1 averaged over the real set's labels, each counting the same.",
    )
    st.plotly_chart(charts.confusion_heatmap(result.labels, result.confusion), width="stretch")
    note = f"Trained on {result.train_size:,} accepted items, tested on {result.test_size:,}."
    if result.unseen_labels:
        note += " Never generated, so always wrong: " + ", ".join(result.unseen_labels) + "."
    st.caption(note)


def _watch(run: UtilityRun) -> None:
    """The run's counts while it works (the page stays usable); the page redraws when done."""
    if run.finished:
        st.rerun()
    seconds = time.monotonic() - run.started
    if run.todo:
        text = embedding_progress(run.what, run.done, run.todo, seconds)
        st.progress(run.done / run.todo, text=text)
    else:
        st.progress(0.0, text="Training on the synthetic set, testing on yours…")
    st.caption("This runs on the server: other tabs and pages answer meanwhile.")
