"""Insights: counts by status, diversity of the accepted set, and an embedding map."""

import pandas as pd
import streamlit as st

from components.charts import embedding_map, status_bar
from components.state import get_store, require_project
from seedbed.embeddings import embed_texts
from seedbed.metrics import average_pairwise_similarity, pca_2d
from seedbed.models import ACCEPTED

store = get_store()
project = require_project(store)
counts = store.count_by_status(project.id)

st.title("Insights")
st.plotly_chart(status_bar(counts), width="stretch")

scope = st.segmented_control(
    "Candidates to measure",
    ["accepted", "all"],
    default="accepted",
    key="insights_scope",
)
where = ACCEPTED if scope != "all" else None
selected = list(store.iter_candidates(project.id, where))
if len(selected) < 2:
    st.info("Diversity needs at least two candidates; accept some on the Review page.")
    st.stop()

progress = st.progress(0.0, text="Embedding new texts…")
vectors = embed_texts(
    [candidate.text for candidate in selected],
    store,
    on_progress=lambda done, todo: progress.progress(
        done / todo, text=f"Embedded {done} of {todo}"
    ),
)
progress.empty()

aps = average_pairwise_similarity(vectors)
st.metric(
    "Average pairwise cosine similarity",
    f"{aps:.3f}",
    help="Mean cosine similarity of the sentence embeddings over all pairs: lower is more diverse.",
)
st.caption(f"Over {len(selected)} candidates, embedded with all-MiniLM-L6-v2.")

points = pca_2d(vectors)
frame = pd.DataFrame(
    {
        "x": points[:, 0],
        "y": points[:, 1],
        "snippet": [c.text[:120] for c in selected],
        "status": [c.status.value for c in selected],
        "method": [c.method for c in selected],
        "label": [c.label or "(none)" for c in selected],
    }
)
dimensions = sorted({name for c in selected for name in c.attributes})
for name in dimensions:
    frame[name] = [c.attributes.get(name, "(none)") for c in selected]
colour_options = ["label", "method", "status", *dimensions]
colour = st.selectbox("Colour by", colour_options, key="insights_colour")
st.subheader("Embedding map (PCA)")
st.plotly_chart(embedding_map(frame, colour), width="stretch")
