"""Benchmark: the utility check on a 7,600-row real set (AG News' test set is that size).

The synthetic side is 1,000 news items of four labels whose embeddings are already
cached (as after a first visit to Insights). The real side is `--rows` distinct texts of
30 to 50 words (AG News items average about 40), never embedded before, each with one of
the four labels. The check embeds them with the real all-MiniLM-L6-v2 as the Insights
page does (the fast vectors: bfloat16 products where the CPU has them; kept in the
store), fits the logistic regression on the synthetic vectors and scores the real set.
The reference, in the same run, is the same check with the real texts in full precision
(float32, as before 2026-12-02), on a fresh store. Prints seconds for both, rows per
second, the ratio, and how far the fast vectors move the result: the share of real rows
predicted alike, and both accuracies and macro-F1s.

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
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seedbed.insights.embeddings import (  # noqa: E402
    embed_texts,
    load_embedder,
    native_bfloat16,
)
from seedbed.insights.utility import LabelledText, UtilityResult, utility_check  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

TARGET_SECONDS = 60.0
# The share of topic words in a text: low enough that the classifier errs on some rows
# (accuracy near 0.9), so a change in the vectors has predictions it could flip.
TOPIC_SHARE = 0.06
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
            rng.choice(TOPIC_WORDS[label]) if rng.random() < TOPIC_SHARE else rng.choice(COMMON)
            for _ in range(rng.randint(30, 50))
        ]
        text = f"Item {line}: " + " ".join(words) + "."
        rows.append(LabelledText(text=text, label=label, line=line + 1))
    return rows


def synthetic_side() -> tuple[np.ndarray, list[str]]:
    """1,000 synthetic items' vectors (full precision, embedded before the timing)."""
    rows = real_rows(1000, seed=11)
    return embed_texts([row.text for row in rows]), [row.label for row in rows]


def timed_check(
    rows: list[LabelledText], train: tuple[np.ndarray, list[str]], store: Store, fast: bool
) -> tuple[float, UtilityResult, np.ndarray]:
    started = time.perf_counter()
    test = embed_texts([row.text for row in rows], store=store, fast=fast)
    result = utility_check(*train, test, [row.label for row in rows])
    seconds = time.perf_counter() - started
    assert result.test_size == len(rows)
    return seconds, result, test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=7600)
    args = parser.parse_args()
    load_embedder()  # loaded once, as on a running server (not timed)
    train = synthetic_side()
    rows = real_rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        fast, fast_result, fast_vectors = timed_check(
            rows, train, Store(f"sqlite:///{Path(folder) / 'fast.db'}"), fast=True
        )
        full, full_result, full_vectors = timed_check(
            rows, train, Store(f"sqlite:///{Path(folder) / 'full.db'}"), fast=False
        )
    model = LogisticRegression(max_iter=1000).fit(*train)
    alike = float(np.mean(model.predict(fast_vectors) == model.predict(full_vectors)))
    drift = float(np.max(1 - np.sum(fast_vectors * full_vectors, axis=1)))
    kind = "bfloat16 products" if native_bfloat16() else "float32 (no native bfloat16 here)"
    print(
        f"whole set, fast vectors ({kind}): {len(rows):,} real rows in {fast:.1f} s "
        f"({len(rows) / fast:.0f} rows/s)"
    )
    print(
        f"reference, full precision:  {len(rows):,} real rows in {full:.1f} s "
        f"({len(rows) / full:.0f} rows/s)"
    )
    print(f"ratio full / fast: {full / fast:.2f}x")
    print(f"predicted alike: {alike:.2%} of rows; largest 1 - cosine(fast, full): {drift:.6f}")
    print(
        f"accuracy {fast_result.accuracy:.4f} fast, {full_result.accuracy:.4f} full; "
        f"macro-F1 {fast_result.macro_f1:.4f} fast, {full_result.macro_f1:.4f} full"
    )
    verdict = "met" if fast < TARGET_SECONDS else "MISSED"
    print(f"target < {TARGET_SECONDS:.0f} s for the whole set: {verdict}")
    return 0 if fast < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
