"""Diversity measures over embeddings, each against a brute-force n x n computation."""

from __future__ import annotations

import numpy as np
import pytest

from seedbed.insights.metrics import (
    aps_growth,
    average_pairwise_similarity,
    label_similarity,
    pca_2d,
    sample_pair_similarities,
    unit_rows,
    vendi_score,
)


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


# -- helpers for the brute-force references -----------------------------------------
def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def random_rows(n: int, d: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.2, 1.0, size=(n, d)) * rng.uniform(0.5, 5, size=(n, 1))


def brute_label_matrix(embeddings: np.ndarray, labels: list[str]) -> np.ndarray:
    """Mean similarity of every pair (a in A, b in B, a != b), from the n x n matrix."""
    similarities = unit(embeddings) @ unit(embeddings).T
    names = sorted(set(labels))
    matrix = np.full((len(names), len(names)), np.nan)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            values = [
                similarities[p, q]
                for p in range(len(labels))
                for q in range(len(labels))
                if labels[p] == a and labels[q] == b and p != q
            ]
            if values:
                matrix[i, j] = np.mean(values)
    return matrix


# -- unit rows ---------------------------------------------------------------------
def test_unit_rows_leaves_unit_float32_rows_alone() -> None:
    rows = unit(random_rows(10)).astype(np.float32)
    assert unit_rows(rows) is rows
    scaled = unit_rows(rows * 3)
    np.testing.assert_allclose(np.linalg.norm(scaled, axis=1), 1.0, rtol=1e-6)


# -- APS by label ------------------------------------------------------------------
def test_label_similarity_equals_the_pairwise_means() -> None:
    embeddings = random_rows(23, seed=3)
    labels = ["sports"] * 9 + ["business"] * 8 + ["health"] * 6
    result = label_similarity(embeddings, labels)

    assert result.labels == ["business", "health", "sports"]
    assert result.counts == [8, 6, 9]
    np.testing.assert_allclose(result.matrix, brute_label_matrix(embeddings, labels), atol=1e-6)
    np.testing.assert_allclose(result.matrix, result.matrix.T)


def test_label_similarity_skips_unlabelled_rows_and_marks_lone_labels() -> None:
    embeddings = random_rows(6, seed=4)
    labels = ["a", "a", None, "b", "a", None]
    result = label_similarity(embeddings, labels)

    assert result.labels == ["a", "b"]
    assert result.counts == [3, 1]
    assert np.isnan(result.matrix[1, 1])  # one item has no pair within its label
    kept = [0, 1, 3, 4]
    expected = brute_label_matrix(embeddings[kept], ["a", "a", "b", "a"])
    np.testing.assert_allclose(result.matrix, expected, atol=1e-6, equal_nan=True)


def test_label_similarity_without_labels_is_empty() -> None:
    result = label_similarity(random_rows(4), [None] * 4)
    assert result.labels == [] and result.matrix.shape == (0, 0)


# -- Vendi score -------------------------------------------------------------------
def primal_vendi(embeddings: np.ndarray) -> float:
    """The definition: exp(entropy) of the eigenvalues of K / n, K the n x n cosine kernel."""
    kernel = unit(embeddings) @ unit(embeddings).T
    eigenvalues = np.linalg.eigvalsh(kernel / len(kernel))
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-(eigenvalues * np.log(eigenvalues)).sum()))


@pytest.mark.parametrize(("n", "d"), [(1, 8), (5, 12), (12, 12), (40, 12), (300, 16)])
def test_dual_vendi_equals_the_primal(n: int, d: int) -> None:
    embeddings = random_rows(n, d, seed=n)
    assert vendi_score(embeddings) == pytest.approx(primal_vendi(embeddings), rel=1e-6)


def test_vendi_counts_distinct_items() -> None:
    assert vendi_score(np.tile([[1.0, 2.0, 0.5]], (7, 1))) == pytest.approx(1.0)
    assert vendi_score(np.eye(6)) == pytest.approx(6.0)
    # Two groups of identical items, orthogonal to each other: two effective items.
    assert vendi_score(np.repeat(np.eye(2), 5, axis=0)) == pytest.approx(2.0)
    assert vendi_score(np.zeros((0, 4))) is None


# -- sampled pair similarities ------------------------------------------------------
def test_few_pairs_are_all_taken() -> None:
    # Within a label every pair has similarity 1, across labels 0: the sample shows which
    # pairs it holds.
    embeddings = np.repeat(np.eye(3), [4, 5, 6], axis=0)
    labels = ["a"] * 4 + ["b"] * 5 + ["c"] * 6
    sample = sample_pair_similarities(embeddings, labels, pairs=500)

    assert sample.same_possible == 6 + 10 + 15
    assert sample.different_possible == 4 * 5 + 4 * 6 + 5 * 6
    assert len(sample.same_label) == 31 and len(sample.different_label) == 74
    np.testing.assert_allclose(sample.same_label, 1.0)
    np.testing.assert_allclose(sample.different_label, 0.0)


def test_many_pairs_are_sampled_uniformly() -> None:
    # 300 items of label a and 100 of b: 44,850 + 4,950 same-label pairs, 30,000 across.
    counts = {"a": 300, "b": 100}
    embeddings = np.repeat(np.eye(2), list(counts.values()), axis=0)
    labels = [label for label, count in counts.items() for _ in range(count)]
    sample = sample_pair_similarities(embeddings, labels, pairs=4000, seed=3)

    assert (sample.same_possible, sample.different_possible) == (44_850 + 4_950, 30_000)
    assert len(sample.same_label) == 4000 and len(sample.different_label) == 4000
    np.testing.assert_allclose(sample.same_label, 1.0)
    np.testing.assert_allclose(sample.different_label, 0.0)


def test_sampled_pairs_follow_the_number_of_pairs_per_label() -> None:
    # Items of a are identical (similarity 1); any two items of b have similarity 0.5. Pairs
    # of b are 4,950 of the 49,800 same-label pairs: about 9.9% of a uniform sample, where a
    # sample by item share would give 25%.
    embeddings = np.zeros((400, 102))
    embeddings[:300, 0] = 1.0
    embeddings[300:, 1] = 1.0
    embeddings[300:, 2:] = np.eye(100)
    labels = ["a"] * 300 + ["b"] * 100
    sample = sample_pair_similarities(embeddings, labels, pairs=20_000, seed=5)

    assert np.isin(np.round(sample.same_label, 6), [0.5, 1.0]).all()
    assert abs(np.isclose(sample.same_label, 0.5).mean() - 4950 / 49_800) < 0.01


def test_cross_label_pairs_are_sampled_uniformly() -> None:
    # a = e1, b = e2, c = (e1 + 2 e2) / sqrt(5): a pair's similarity tells its two labels.
    # Of the 50,000 crossing pairs, a-b are 30,000, a-c 15,000 and b-c 5,000.
    c = np.array([1.0, 2.0]) / np.sqrt(5)
    embeddings = np.vstack([np.tile([1.0, 0.0], (300, 1)), np.tile([0.0, 1.0], (100, 1))])
    embeddings = np.vstack([embeddings, np.tile(c, (50, 1))])
    labels = ["a"] * 300 + ["b"] * 100 + ["c"] * 50
    sample = sample_pair_similarities(embeddings, labels, pairs=20_000, seed=2)

    assert sample.different_possible == 50_000 and len(sample.different_label) == 20_000
    values = np.round(sample.different_label, 3)
    for similarity, share in ((0.0, 0.6), (round(c[0], 3), 0.3), (round(c[1], 3), 0.1)):
        assert abs((values == similarity).mean() - share) < 0.015


def test_pair_sample_never_pairs_an_item_with_itself() -> None:
    # Two items of one label pointing in opposite directions: any self-pair would show as 1.
    big = np.tile([[1.0, 0.0], [-1.0, 0.0]], (100, 1))
    for embeddings, pairs in ((big[:2], 200), (big, 300)):
        sample = sample_pair_similarities(embeddings, ["x"] * len(embeddings), pairs)
        assert len(sample.same_label) and (sample.same_label < 0.999).mean() > 0.3
        assert len(sample.different_label) == 0
    tiny = sample_pair_similarities(big[:2], ["x", "x"], 200)
    np.testing.assert_allclose(tiny.same_label, [-1.0])


# -- APS as the set grows ------------------------------------------------------------
def test_aps_growth_follows_the_given_order() -> None:
    embeddings = random_rows(30, seed=7)
    order = np.random.default_rng(0).permutation(30)
    sizes, values = aps_growth(embeddings, order, points=5)

    assert sizes.tolist() == [10, 15, 20, 25, 30]
    for size, value in zip(sizes, values, strict=True):
        assert value == pytest.approx(brute_force_aps(embeddings[order[:size]]))


def test_aps_growth_of_a_few_rows_and_of_too_few() -> None:
    embeddings = random_rows(4, seed=1)
    sizes, values = aps_growth(embeddings)
    assert sizes.tolist() == [4] and values[0] == pytest.approx(brute_force_aps(embeddings))
    sizes, values = aps_growth(np.ones((1, 3)))
    assert len(sizes) == len(values) == 0
