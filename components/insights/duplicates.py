"""The duplicates section of Insights: near-duplicate clusters, and the contamination check
against an evaluation set the user uploads."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from components.embedding import embed_with_progress, measured
from components.insights.data import file_digest
from components.state import plain
from seedbed.duplicates.contamination import (
    EMBEDDING_THRESHOLD,
    NGRAM,
    EvalSetError,
    contamination_report,
    read_eval_file,
)
from seedbed.duplicates.minhash import MINHASH_THRESHOLD, duplicate_clusters, minhash_duplicates
from seedbed.duplicates.semantic import SEMANTIC_THRESHOLD, semantic_duplicates
from seedbed.insights.selection import fetch_rows
from seedbed.models import CandidateFilter, Project
from seedbed.store.core import Store

SHOWN_CLUSTERS = 20


def duplicates_tab(store: Store, project: Project, selections: Mapping[str, CandidateFilter]):
    """`selections` maps each selection's display name to its filter."""
    st.caption(
        "Near-duplicates inside each selection (the first copy is kept, later copies join its "
        "cluster), and records that leak an evaluation set."
    )
    kind = st.segmented_control(
        "Compare by",
        ["minhash", "semantic"],
        default="minhash",
        format_func={
            "minhash": f"shared word 3-grams (MinHash, Jaccard ≥ {MINHASH_THRESHOLD})",
            "semantic": f"meaning (embedding cosine ≥ {SEMANTIC_THRESHOLD})",
        }.get,
        key="insights_duplicates_kind",
    )
    # Off until asked: st.tabs runs every tab on each rerun, and a large selection takes seconds.
    if st.toggle("Find duplicate clusters", key="insights_duplicates_on"):
        _all_clusters(store, project, selections, kind or "minhash")
    st.divider()
    _contamination(store, project, selections)


def _all_clusters(
    store: Store, project: Project, selections: Mapping[str, CandidateFilter], kind: str
) -> None:
    columns = st.columns(len(selections))
    for column, (name, where) in zip(columns, selections.items(), strict=True):
        with column:
            if len(selections) > 1:
                st.markdown(f"**{plain(name)}**")
            _clusters(store, project, where, kind)


def _clusters(store: Store, project: Project, where: CandidateFilter, kind: str) -> None:
    rows = fetch_rows(store, project.id, where)
    if kind == "semantic":
        vectors = measured(lambda: embed_with_progress(rows.texts, store, "candidates"))
        if vectors is None:
            return
        found = semantic_duplicates(vectors)
    else:
        found = minhash_duplicates(rows.texts)
    clusters = duplicate_clusters(found)
    copies = sum(len(members) - 1 for members in clusters.values())
    st.metric("Duplicate clusters", f"{len(clusters):,}", f"{copies:,} copies", border=True)
    for members in list(clusters.values())[:SHOWN_CLUSTERS]:
        with st.expander(plain(f"{len(members)} × {rows.texts[members[0]][:80]}")):
            for position in members:
                st.text(f"#{int(rows.ids[position])}: {rows.texts[position]}")


def _contamination(
    store: Store, project: Project, selections: Mapping[str, CandidateFilter]
) -> None:
    st.subheader("Contamination")
    st.caption(
        f"Upload an evaluation set (the utility check's real set, or any benchmark: JSONL, "
        f"CSV or one item per line). A record sharing a {NGRAM}-word sequence with an "
        "evaluation item (the GPT-3 paper's test), or an embedding this close, is flagged."
    )
    upload = st.file_uploader(
        "Evaluation set",
        type=["jsonl", "json", "csv", "tsv", "txt"],
        key="insights_eval_file",
    )
    left, right = st.columns(2)
    n = left.number_input("Shared words that flag", 5, 50, NGRAM, key="insights_eval_n")
    threshold = right.slider(
        "Embedding cosine at least", 0.5, 1.0, EMBEDDING_THRESHOLD, 0.01, key="insights_eval_cos"
    )
    if upload is None:
        return
    try:
        items = read_eval_file(upload.name, upload.getvalue())
    except EvalSetError as error:
        st.error(plain(str(error)))
        return
    digest = file_digest(upload.getvalue())
    if st.button("Check for contamination", key="insights_eval_run", type="primary"):
        st.session_state["insights_eval_for"] = digest  # kept while its texts are embedded
    if st.session_state.get("insights_eval_for") != digest:
        return
    theirs = measured(lambda: embed_with_progress(items, store, "evaluation items"))
    if theirs is None:
        return
    for name, where in selections.items():
        rows = fetch_rows(store, project.id, where)
        ours = measured(lambda rows=rows: embed_with_progress(rows.texts, store, "candidates"))
        if ours is None:
            return
        candidates = list(zip(rows.ids.tolist(), rows.texts, strict=True))
        report = contamination_report(candidates, items, int(n), (ours, theirs), threshold)
        st.text(f"{name}: {report.summary()}.")
        if report.hits:
            text_of = dict(candidates)
            st.dataframe(
                [
                    {
                        "candidate": hit.candidate_id,
                        "record": text_of[hit.candidate_id],
                        "evaluation item": items[hit.eval_item],
                        "by": hit.kind,
                        "evidence": hit.evidence,
                    }
                    for hit in report.hits
                ],
                hide_index=True,
            )
