"""Comparing two selections at equal size: size-dependent measures and the noise test."""

from __future__ import annotations

import numpy as np

from seedbed.insights.compare import compare_at_equal_size, subset_measures
from seedbed.insights.metrics import vendi_score


def _set(rng: np.random.Generator, n: int, spread: float, words: int) -> tuple[list, np.ndarray]:
    vectors = np.eye(8)[0] + spread * rng.normal(size=(n, 8))
    texts = [" ".join(f"w{rng.integers(words)}" for _ in range(8)) for _ in range(n)]
    return texts, vectors


def test_a_larger_set_from_the_same_source_is_not_more_diverse() -> None:
    rng = np.random.default_rng(1)
    small, large = _set(rng, 8, 0.5, 40), _set(rng, 200, 0.5, 40)
    # Measured whole, the larger set looks far more diverse...
    assert vendi_score(large[1]) > vendi_score(small[1]) + 1
    result = compare_at_equal_size(small, large)
    assert result is not None and result.size == 8
    # ...at equal size it is not, and the test says so for every measure.
    for key in ("vendi", "vocabulary", "distinct_1", "aps"):
        assert result.measures[key].within_noise, key
    vocabulary = result.measures["vocabulary"]
    assert vocabulary.a.low == vocabulary.a.high  # the small set is measured whole
    assert vocabulary.b.low < vocabulary.b.mean < vocabulary.b.high


def test_a_real_difference_is_beyond_the_noise() -> None:
    rng = np.random.default_rng(2)
    narrow, broad = _set(rng, 40, 0.05, 5), _set(rng, 60, 2.0, 500)
    result = compare_at_equal_size(narrow, broad)
    assert not result.measures["vendi"].within_noise
    assert result.measures["vendi"].difference > 0
    assert not result.measures["vocabulary"].within_noise


def test_too_small_to_compare() -> None:
    rng = np.random.default_rng(3)
    assert compare_at_equal_size(_set(rng, 1, 0.5, 9), _set(rng, 9, 0.5, 9)) is None


def test_a_set_as_large_as_the_equal_size_is_measured_whole() -> None:
    rng = np.random.default_rng(5)
    small, large = _set(rng, 12, 0.5, 30), _set(rng, 40, 0.5, 30)
    whole = subset_measures(*small)
    result = compare_at_equal_size(small, large)
    for key, compared in result.measures.items():
        assert compared.a.mean == compared.a.low == compared.a.high == whole[key], key
