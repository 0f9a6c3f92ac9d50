"""Diversity metrics over embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from seedbed.metrics import average_pairwise_similarity, pca_2d


def brute_force_aps(embeddings: np.ndarray) -> float:
    rows = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    similarities = rows @ rows.T
    n = len(rows)
    return float((similarities.sum() - np.trace(similarities)) / (n * (n - 1)))


@pytest.mark.parametrize("n", [2, 3, 17, 60])
def test_aps_equals_the_pairwise_mean(n: int) -> None:
    rng = np.random.default_rng(n)
    # Not normalised, on purpose: rows of very different lengths and a shifted mean.
    embeddings = rng.normal(0.3, 1.0, size=(n, 12)) * rng.uniform(0.1, 50, size=(n, 1))
    before = embeddings.copy()

    assert average_pairwise_similarity(embeddings) == pytest.approx(brute_force_aps(embeddings))
    np.testing.assert_array_equal(embeddings, before)  # the caller's array is untouched


def test_aps_accepts_float32_unit_rows() -> None:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(30, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    assert average_pairwise_similarity(rows) == pytest.approx(brute_force_aps(rows), abs=1e-6)


def test_aps_extremes() -> None:
    same = np.tile([[1.0, 2.0, 3.0]], (5, 1))
    assert average_pairwise_similarity(same) == pytest.approx(1.0)
    assert average_pairwise_similarity(np.eye(4)) == pytest.approx(0.0)
    assert average_pairwise_similarity(np.array([[1.0, 0.0], [-2.0, 0.0]])) == pytest.approx(-1.0)


@pytest.mark.parametrize("n", [0, 1])
def test_aps_needs_two_rows(n: int) -> None:
    assert average_pairwise_similarity(np.ones((n, 8))) is None


def test_pca_2d_shape() -> None:
    rng = np.random.default_rng(1)
    points = pca_2d(rng.normal(size=(25, 16)))
    assert points.shape == (25, 2)
    assert np.isfinite(points).all()
    assert points[:, 0].std() > 0


@pytest.mark.parametrize("n", [0, 1, 2])
def test_pca_2d_with_too_few_rows_gives_zeros(n: int) -> None:
    points = pca_2d(np.ones((n, 16)))
    assert points.shape == (n, 2)
    assert not points.any()
