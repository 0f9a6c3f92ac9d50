"""Every Insights measure of one selection, computed in one pass and timed.

The page caches one report per selection and version; the benchmark times the same function,
so the figure it prints is what a user waits for (the embedding itself aside).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from seedbed.insights.coverage import (
    DimensionCoverage,
    LabelBalance,
    attribute_coverage,
    attribute_table,
    label_balance,
)
from seedbed.insights.metrics import (
    LabelSimilarity,
    PairSample,
    aps_growth,
    average_pairwise_similarity,
    label_similarity,
    sample_pair_similarities,
    vendi_score,
)
from seedbed.insights.selection import SelectionRows
from seedbed.insights.text_metrics import (
    Compression,
    LexicalMeasures,
    compression_ratio,
    lexical_measures,
)
from seedbed.models import AttributeDimension


@dataclass(frozen=True)
class MeasureInfo:
    name: str
    explanation: str
    better: str  # "lower", "higher" or "" when neither is better
    short: str = ""  # for a metric card; the name when empty


MEASURES: dict[str, MeasureInfo] = {
    "aps": MeasureInfo(
        "Average pairwise similarity (APS)",
        "Mean cosine similarity of the sentence embeddings over every pair of items; exact.",
        "lower",
        "APS",
    ),
    "vendi": MeasureInfo(
        "Vendi score",
        "The effective number of distinct items: 1 if all mean the same, n if none overlap.",
        "higher",
    ),
    "vocabulary": MeasureInfo(
        "Vocabulary size", "Different words across all items.", "higher", "Vocabulary"
    ),
    "ingf": MeasureInfo(
        "Inter-sample trigram frequency",
        "Average share of the other items that repeat a three-word phrase of an item.",
        "lower",
        "INGF (3-gram)",
    ),
    "distinct_1": MeasureInfo("Distinct-1", "Different words over all words.", "higher"),
    "distinct_2": MeasureInfo("Distinct-2", "Different word pairs over all pairs.", "higher"),
    "distinct_3": MeasureInfo("Distinct-3", "Different word triples over all triples.", "higher"),
    "compression": MeasureInfo(
        "Compression ratio (gzip)",
        "Size of the text over its gzip size: repeated phrasing compresses well.",
        "lower",
        "Compression",
    ),
    "words": MeasureInfo("Words per item (median)", "Half the items are shorter.", ""),
    "evenness": MeasureInfo(
        "Label evenness",
        "Entropy of the label shares over its maximum: 1 when every label is as frequent.",
        "higher",
    ),
}


@dataclass
class SelectionReport:
    """What the Insights page shows for one selection."""

    size: int
    values: dict[str, float | int | None]
    lexical: LexicalMeasures
    compression: Compression
    labels: LabelSimilarity
    balance: LabelBalance
    pairs: PairSample
    growth_sizes: np.ndarray
    growth_aps: np.ndarray
    growth_order: str  # "review time" or "id"
    coverage: list[DimensionCoverage]
    attributes: pd.DataFrame  # one categorical column per dimension, for combination heatmaps
    sample: pd.DataFrame  # the rows shown on the map, with their fields
    sample_vectors: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)


class _Timer:
    """Wall and CPU seconds of each step (CPU time shows the cost on a busy machine)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, name: str, compute: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = compute()
        self.timings[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu
        return result


def build_report(
    rows: SelectionRows,
    vectors: np.ndarray,
    dimensions: Sequence[AttributeDimension] = (),
    project_labels: Sequence[str] = (),
    map_points: int = 3000,
    pair_samples: int = 20_000,
) -> SelectionReport:
    """All measures of `rows` (with their embeddings `vectors`, one row each, same order)."""
    timed = _Timer()
    aps = timed("APS", lambda: average_pairwise_similarity(vectors))
    labels = timed("APS by label", lambda: label_similarity(vectors, rows.labels))
    vendi = timed("Vendi score", lambda: vendi_score(vectors))
    pairs = timed(
        "pair sample", lambda: sample_pair_similarities(vectors, rows.labels, pair_samples)
    )
    order, order_name = _growth_order(rows)
    sizes, curve = timed("APS growth", lambda: aps_growth(vectors, order))
    lexical = timed("lexical", lambda: lexical_measures(rows.texts))
    compression = timed("compression", lambda: compression_ratio(rows.texts))
    balance = timed("label balance", lambda: label_balance(rows.labels, project_labels))
    coverage = timed(
        "coverage",
        lambda: [attribute_coverage(d, rows.labels, rows.attributes) for d in dimensions],
    )
    attributes = timed("attribute table", lambda: attribute_table(rows.attributes))
    sample, sample_vectors = timed("map sample", lambda: _map_sample(rows, vectors, map_points))
    values: dict[str, float | int | None] = {
        "aps": aps,
        "vendi": vendi,
        "vocabulary": lexical.vocabulary_size,
        "ingf": lexical.inter_sample_ngram_frequency,
        **{f"distinct_{n}": value for n, value in lexical.distinct.items()},
        "compression": compression.ratio,
        "words": float(np.median(lexical.words_per_text)) if len(rows) else None,
        "evenness": balance.evenness,
    }
    return SelectionReport(
        size=len(rows),
        values=values,
        lexical=lexical,
        compression=compression,
        labels=labels,
        balance=balance,
        pairs=pairs,
        growth_sizes=sizes,
        growth_aps=curve,
        growth_order=order_name,
        coverage=coverage,
        attributes=attributes,
        sample=sample,
        sample_vectors=sample_vectors,
        timings=timed.timings,
        cpu_timings=timed.cpu,
    )


def _growth_order(rows: SelectionRows) -> tuple[np.ndarray, str]:
    """Review time when every row has one (an accepted set), else id order."""
    if len(rows) and all(at is not None for at in rows.reviewed_at):
        stamps = np.array([at.timestamp() for at in rows.reviewed_at])
        return np.argsort(stamps, kind="stable"), "review time"
    return np.arange(len(rows)), "id"


def _map_sample(
    rows: SelectionRows, vectors: np.ndarray, points: int, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """A random subset of at most `points` rows (all of them when fewer), with every field."""
    positions = np.arange(len(rows))
    if len(rows) > points:
        positions = np.sort(np.random.default_rng(seed).choice(len(rows), points, replace=False))
    chosen = rows.take(positions.tolist())
    frame = pd.DataFrame(
        {
            "id": chosen.ids,
            "text": chosen.texts,
            "label": [label or "(none)" for label in chosen.labels],
            "method": chosen.methods,
            "status": chosen.statuses,
            "annotator": [name or "(none)" for name in chosen.annotators],
            "job": [f"job {job}" if job is not None else "(none)" for job in chosen.job_ids],
        }
    )
    names = list(dict.fromkeys(name for item in chosen.attributes for name in item))
    for name in names:
        frame[f"attribute: {name}"] = [item.get(name, "(none)") for item in chosen.attributes]
    return frame, np.asarray(vectors)[positions]
