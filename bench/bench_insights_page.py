"""Benchmark: the Insights page's first load for 1,000 reviewed candidates, embeddings cached.

A fresh SQLite store gets the "News topic classification" demo and `--n` reviewed items
(tests/insight_fixtures.py: 70% AttrPrompt, 30% a class-conditional baseline, all
accepted); every item's embedding is already in the store's cache (random unit vectors
stored under the real model's name), as after a first visit. Then, through Streamlit's
AppTest (the server's side of a page load: the script run, not the browser's drawing):

1. a new session opens the app and switches to Insights, with Streamlit's caches empty
   (modules already imported, as on a running server): target under 3 s;
2. a second new session does the same with the caches warm.

Run: .venv/bin/python bench/bench_insights_page.py [--n 1000]
Exits with status 1 if the first load misses its target.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["SEEDBED_PRELOAD"] = "0"  # the embedded model is not part of this page
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from seedbed.insights.embeddings import MODEL_NAME, content_hash  # noqa: E402
from seedbed.insights.selection import fetch_rows  # noqa: E402
from seedbed.models import CandidateFilter  # noqa: E402
from seedbed.store.core import Store  # noqa: E402
from tests.insight_fixtures import add_reviewed_news, news_project  # noqa: E402

TARGET_SECONDS = 3.0


def open_insights(project_id: int) -> float:
    """Seconds for a new session to open the app and show Insights."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["project_id"] = project_id
    start = time.perf_counter()
    at.run()
    at.switch_page("pages/insights.py").run()
    seconds = time.perf_counter() - start
    assert not at.exception, at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown, "Insights showed no measures"
    print(f"  shown: {', '.join(f'{k} {v}' for k, v in list(shown.items())[:3])}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/insights.db"
        store = Store(os.environ["DATABASE_URL"])
        project_id = news_project(store)
        add_reviewed_news(
            store, project_id, attrprompt=args.n * 7 // 10, baseline=args.n * 3 // 10, rejected=0
        )
        texts = fetch_rows(store, project_id, CandidateFilter()).texts
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        blobs = {content_hash(t): v.tobytes() for t, v in zip(texts, vectors, strict=True)}
        store.put_embeddings(MODEL_NAME, blobs, 384)
        print(f"{len(texts):,} candidates ({len(blobs):,} distinct texts), embeddings cached")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        open_insights(project_id)  # imports every module once, as a running server has
        st.cache_data.clear()
        st.cache_resource.clear()
        first = open_insights(project_id)
        warm = open_insights(project_id)
    print(f"first load (caches empty): {first:.2f} s (target < {TARGET_SECONDS:.0f} s)")
    print(f"second session (caches warm): {warm:.2f} s")
    return 0 if first < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
