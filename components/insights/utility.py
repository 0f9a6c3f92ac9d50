"""The utility check section: upload a real labelled set, train on the synthetic one, score.

The check runs on a thread of the server (components/background.py), not in the page's
script: embedding thousands of real texts takes a while the first time, and meanwhile the
page (its other tabs, the other pages) keeps answering. Its results are drawn when it is
done, and kept for the same selection and file until either changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from components import background, charts
from components.insights.data import accepted_part, file_digest
from components.state import plain
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


def start_run(
    store: Store, project: Project, where: CandidateFilter, digest: str, real: Sequence
) -> background.Work:
    """The check of `where` (accepted items) against the file `digest`, started on a
    server thread unless one for the same selection version and file exists."""
    accepted = accepted_part(where)
    rows = list(real)

    def check(work: background.Work) -> UtilityResult:
        return run_utility_check(store, project.id, accepted, rows, work.progress)

    return background.start(_key(store, project, where, digest), check)


def _key(store: Store, project: Project, where: CandidateFilter, digest: str) -> str:
    accepted = accepted_part(where)
    version = selection_version(store, project.id, accepted)
    return f"utility|{store.url}|{project.id}|{accepted.model_dump_json()}|{version}|{digest}"


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
        for where in selections.values():  # run again, not the result kept (or its error)
            background.forget(_key(store, project, where, digest))
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
        background.watch(run, "Training on the synthetic set, testing on yours…")
        return
    if run.error is not None:
        trained_on = store.count_candidates(project.id, accepted_part(where))
        st.warning(plain(f"{run.error} ({trained_on:,} accepted items in this selection.)"))
        return
    result = run.result
    assert isinstance(result, UtilityResult)
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
