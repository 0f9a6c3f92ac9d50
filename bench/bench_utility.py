"""Benchmark: the utility check on a 7,600-row real set (AG News' test set is that size).

The synthetic side is 1,000 accepted news items of four labels whose embeddings are
already cached (as after a first visit to Insights). The real side is `--rows` distinct
texts of 30 to 50 words (AG News items average about 40), never embedded before, each
with one of the four labels. The check embeds them with the real all-MiniLM-L6-v2 (and
keeps them in the store), fits the logistic regression on the synthetic vectors and scores
the real set, as the Insights page does. The reference, in the same run, is the page's
default: a stratified sample of 2,000 rows of the same file (a fresh store, nothing cached).
Prints seconds for both, rows per second, and the ratio.

Run: .venv/bin/python bench/bench_utility.py [--rows 7600]
Exits with status 1 if the whole set takes 60 s or more.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seedbed.insights.embeddings import embed_texts, load_embedder  # noqa: E402
from seedbed.insights.utility import (  # noqa: E402
    SAMPLE_ROWS,
    LabelledText,
    stratified_sample,
    utility_check,
)
from seedbed.store.core import Store  # noqa: E402

TARGET_SECONDS = 60.0
LABELS = ["world", "sports", "business", "science"]
TOPIC_WORDS = {
    "world": [
        "minister",
        "election",
        "border",
        "treaty",
        "protest",
        "capital",
        "embassy",
        "refugees",
        "summit",
    ],
    "sports": [
        "match",
        "league",
        "coach",
        "striker",
        "season",
        "final",
        "goal",
        "tournament",
        "injury",
    ],
    "business": [
        "shares",
        "profit",
        "market",
        "merger",
        "bank",
        "inflation",
        "earnings",
        "startup",
        "investors",
    ],
    "science": [
        "researchers",
        "study",
        "space",
        "telescope",
        "gene",
        "climate",
        "battery",
        "software",
        "chip",
    ],
}
COMMON = [
    "the",
    "a",
    "of",
    "in",
    "on",
    "for",
    "with",
    "after",
    "before",
    "as",
    "said",
    "says",
    "new",
    "report",
    "week",
    "year",
    "people",
    "city",
    "officials",
    "plans",
    "talks",
    "deal",
    "record",
    "first",
    "second",
    "last",
    "more",
    "than",
    "about",
    "under",
    "over",
    "while",
    "government",
    "company",
    "team",
    "group",
    "announced",
    "expected",
    "could",
    "would",
    "may",
    "will",
]


def real_rows(count: int, seed: int = 7) -> list[LabelledText]:
    """Distinct labelled texts of 30-50 words, topic words mixed with common ones."""
    rng = random.Random(seed)
    rows = []
    for line in range(count):
        label = LABELS[line % len(LABELS)]
        words = [
            rng.choice(TOPIC_WORDS[label]) if rng.random() < 0.3 else rng.choice(COMMON)
            for _ in range(rng.randint(30, 50))
        ]
        text = f"Item {line}: " + " ".join(words) + "."
        rows.append(LabelledText(text=text, label=label, line=line + 1))
    return rows


def synthetic_side() -> tuple[np.ndarray, list[str]]:
    """1,000 cached synthetic vectors: each label's items near a direction of their own."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(len(LABELS), 384))
    labels = [LABELS[i % len(LABELS)] for i in range(1000)]
    vectors = np.stack([centres[i % len(LABELS)] + rng.normal(size=384) for i in range(1000)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), labels


def timed_check(rows: list[LabelledText], folder: Path, name: str) -> float:
    store = Store(f"sqlite:///{folder / name}")
    train, train_labels = synthetic_side()
    started = time.perf_counter()
    test = embed_texts([row.text for row in rows], store=store)
    result = utility_check(train, train_labels, test, [row.label for row in rows])
    seconds = time.perf_counter() - started
    assert result.test_size == len(rows)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=7600)
    args = parser.parse_args()
    load_embedder()  # loaded once, as on a running server (not timed)
    rows = real_rows(args.rows)
    sample = stratified_sample(rows, min(SAMPLE_ROWS, len(rows)))
    with tempfile.TemporaryDirectory() as folder:
        whole = timed_check(rows, Path(folder), "whole.db")
        reference = timed_check(sample, Path(folder), "sample.db")
    print(f"whole set:  {len(rows):,} real rows in {whole:.1f} s ({len(rows) / whole:.0f} rows/s)")
    print(
        f"reference:  the default sample of {len(sample):,} rows in {reference:.1f} s "
        f"({len(sample) / reference:.0f} rows/s)"
    )
    print(f"ratio whole / sample: {whole / reference:.2f}x for {len(rows) / len(sample):.1f}x rows")
    verdict = "met" if whole < TARGET_SECONDS else "MISSED"
    print(f"target < {TARGET_SECONDS:.0f} s for the whole set: {verdict}")
    return 0 if whole < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
