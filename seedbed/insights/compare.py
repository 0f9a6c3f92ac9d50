"""Two selections compared fairly: at equal size, with the noise of that size measured.

Vendi, vocabulary and distinct-n change with the number of items, so 3 items against 22 says
nothing about diversity. Each selection is measured on repeated random subsets of the smaller
selection's size (capped, so a large comparison stays quick); the middle 95% of those draws is
the interval shown. Whether B differs from A beyond chance is a permutation test: pool both,
split the pool at random into two disjoint sets of that size, many times; a difference no larger
than 95% of those random splits' differences is "within the noise".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from seedbed.insights.metrics import average_pairwise_similarity, vendi_score
from seedbed.insights.text_metrics import compression_ratio, lexical_measures

MAX_EQUAL_SIZE = 500  # larger subsets cost more time than the narrower interval is worth

Measure = Callable[[list[str], np.ndarray], dict[str, float | None]]


def subset_measures(texts: list[str], vectors: np.ndarray) -> dict[str, float | None]:
    """The measures the comparison covers, of one set of texts with their embeddings."""
    lexical = lexical_measures(texts)
    return {
        "aps": average_pairwise_similarity(vectors),
        "vendi": vendi_score(vectors),
        "vocabulary": float(lexical.vocabulary_size),
        "ingf": lexical.inter_sample_ngram_frequency,
        **{f"distinct_{n}": value for n, value in lexical.distinct.items()},
        "compression": compression_ratio(texts).ratio,
    }


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class MeasureComparison:
    """One measure of A and B at equal size, and whether B's difference is beyond chance."""

    a: Interval
    b: Interval
    difference: float  # B - A, means of the draws
    noise: float  # the 95th percentile of |difference| between random splits of the pool

    @property
    def within_noise(self) -> bool:
        return abs(self.difference) <= self.noise


@dataclass(frozen=True)
class Comparison:
    size: int  # items in every subset
    draws: int
    measures: dict[str, MeasureComparison]


def compare_at_equal_size(
    a: tuple[Sequence[str], np.ndarray],
    b: tuple[Sequence[str], np.ndarray],
    draws: int = 30,
    seed: int = 0,
    measure: Measure = subset_measures,
) -> Comparison | None:
    """A and B (texts, embeddings) measured on `draws` random subsets each of one size.

    None when either has fewer than two items: there is nothing to compare.
    """
    size = min(len(a[0]), len(b[0]), MAX_EQUAL_SIZE)
    if size < 2:
        return None
    # Many small eigen-decompositions: BLAS threads only fight over the cores (about 5x
    # slower on a busy two-core machine than one thread).
    with threadpool_limits(1):
        return _compare(a, b, size, draws, seed, measure)


def _compare(
    a: tuple[Sequence[str], np.ndarray],
    b: tuple[Sequence[str], np.ndarray],
    size: int,
    draws: int,
    seed: int,
    measure: Measure,
) -> Comparison:
    rng = np.random.default_rng(seed)
    pool_texts = [*a[0], *b[0]]
    pool_vectors = np.vstack([a[1], b[1]])

    def draw(texts: Sequence[str], vectors: np.ndarray, picks: np.ndarray) -> dict:
        picks = np.sort(picks)  # in their order: gzip's ratio depends on it
        return measure([texts[i] for i in picks], vectors[picks])

    # A subset as large as its set is the set itself: one draw says all there is.
    a_draws = [draw(*a, rng.choice(len(a[0]), size, replace=False)) for _ in _times(a, size, draws)]
    b_draws = [draw(*b, rng.choice(len(b[0]), size, replace=False)) for _ in _times(b, size, draws)]
    null = []
    for _ in range(draws):
        order = rng.permutation(len(pool_texts))
        first = draw(pool_texts, pool_vectors, order[:size])
        second = draw(pool_texts, pool_vectors, order[size : 2 * size])
        null.append({k: _gap(first[k], second[k]) for k in first})
    measures = {}
    for key in a_draws[0]:
        a_values, b_values = _values(a_draws, key), _values(b_draws, key)
        gaps = _values(null, key)
        if not len(a_values) or not len(b_values) or not len(gaps):
            continue
        a_interval, b_interval = _interval(a_values), _interval(b_values)
        measures[key] = MeasureComparison(
            a_interval,
            b_interval,
            b_interval.mean - a_interval.mean,
            float(np.percentile(gaps, 95)),
        )
    return Comparison(size, draws, measures)


def _times(selection: tuple[Sequence[str], np.ndarray], size: int, draws: int) -> range:
    return range(1 if len(selection[0]) == size else draws)


def _gap(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else abs(first - second)


def _values(draws: list[dict], key: str) -> np.ndarray:
    return np.array([d[key] for d in draws if d.get(key) is not None], dtype=np.float64)


def _interval(values: np.ndarray) -> Interval:
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))
