"""Diversity measures over sentence embeddings: exact, and linear in the number of rows.

Every measure works on unit-normalised rows, so a dot product is a cosine similarity. None
builds an n x n matrix: sums of rows give the average pairwise similarity (APS) exactly, and
the d x d second-moment matrix gives the Vendi score. The only sampled measure is the
histogram of pair similarities, and it says how many pairs it drew.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """The rows scaled to length 1 (float32); unit rows come back as they are, without a copy."""
    rows = np.asarray(embeddings, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows, dtype=np.float64))
    if len(rows) and np.abs(norms - 1.0).max() < 1e-4:
        return rows
    return (rows / np.maximum(norms, 1e-12)[:, None]).astype(np.float32)


def average_pairwise_similarity(embeddings: np.ndarray) -> float | None:
    """Mean cosine similarity over all distinct pairs (APS), exact in O(n*d).

    With unit rows v_i and s = sum(v_i), the sum over ordered pairs i != j of v_i . v_j is
    |s|^2 - n, so no n x n matrix is ever built. None below two rows.
    """
    n = len(embeddings)
    if n < 2:
        return None
    total = unit_rows(embeddings).sum(axis=0, dtype=np.float64)
    return float((total @ total - n) / (n * (n - 1)))


@dataclass
class LabelSimilarity:
    """APS within each label (diagonal) and between each pair of labels (off-diagonal)."""

    labels: list[str]
    counts: list[int]
    matrix: np.ndarray  # NaN where a label has too few rows


def label_similarity(embeddings: np.ndarray, labels: Sequence[str | None]) -> LabelSimilarity:
    """Mean cosine similarity within and between labels, exact from per-label sums.

    For labels A != B the mean over pairs (a in A, b in B) is s_A . s_B / (n_A n_B); within A
    it is (|s_A|^2 - n_A) / (n_A (n_A - 1)). Rows without a label are left out.
    """
    names = sorted({label for label in labels if label is not None})
    rows = unit_rows(embeddings)
    label_array = np.array(labels, dtype=object)
    masks = [label_array == name for name in names]
    sums = np.array([rows[mask].sum(axis=0, dtype=np.float64) for mask in masks])
    counts = np.array([mask.sum() for mask in masks], dtype=np.float64)
    dots = sums @ sums.T if names else np.zeros((0, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        matrix = dots / np.outer(counts, counts)
        within = (np.diag(dots) - counts) / (counts * (counts - 1))
    matrix[np.diag_indices_from(matrix)] = np.where(counts >= 2, within, np.nan)
    matrix[np.outer(counts, counts) == 0] = np.nan
    return LabelSimilarity(names, counts.astype(int).tolist(), matrix)


def vendi_score(embeddings: np.ndarray) -> float | None:
    """The Vendi score (Friedman and Dieng, 2023) with the cosine kernel, in O(n*d^2).

    It is exp of the entropy of the eigenvalues of K/n, K = X X^T. The non-zero eigenvalues
    of X X^T / n are those of the d x d matrix X^T X / n, so the smaller of the two is what is
    decomposed (n x n for a few items, as in a comparison's subsets). It reads as the
    effective number of distinct items: 1 when all are alike, n when orthogonal.
    """
    n = len(embeddings)
    if n == 0:
        return None
    rows = unit_rows(embeddings)
    small = rows @ rows.T if n < rows.shape[1] else rows.T @ rows
    second_moment = small.astype(np.float64) / n
    eigenvalues = np.linalg.eigvalsh(second_moment)
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    eigenvalues /= eigenvalues.sum()  # the trace is 1 up to float error
    return float(np.exp(-(eigenvalues * np.log(eigenvalues)).sum()))


@dataclass
class PairSample:
    """Cosine similarities of pairs of items, for a histogram.

    A group with no more possible pairs than were asked for holds every pair (its length
    equals `*_possible`); a larger one holds a uniform random sample, drawn with replacement.
    """

    same_label: np.ndarray
    different_label: np.ndarray
    same_possible: int
    different_possible: int
    labelled: bool = True  # False when no item has a label: "same label" then means every pair


def sample_pair_similarities(
    embeddings: np.ndarray, labels: Sequence[str | None], pairs: int = 20_000, seed: int = 0
) -> PairSample:
    """Up to `pairs` pairs of items with the same label, and as many with different labels.

    Sampled on purpose when there are more: all pairs would be quadratic. A pair is never an
    item with itself; "no label" counts as a label of its own.
    """
    rng = np.random.default_rng(seed)
    rows = unit_rows(embeddings)
    codes = _label_codes(labels)
    groups = [np.flatnonzero(codes == code) for code in range(len(set(codes.tolist())))]
    within = np.array([len(group) * (len(group) - 1) // 2 for group in groups], dtype=np.int64)
    same_possible = int(within.sum())
    different_possible = len(rows) * (len(rows) - 1) // 2 - same_possible
    same = _same_label_pairs(rng, groups, within, pairs)
    different = _cross_label_pairs(rng, codes, different_possible, pairs)
    return PairSample(
        _dots(rows, *same),
        _dots(rows, *different),
        same_possible,
        different_possible,
        any(label is not None for label in labels),
    )


def _label_codes(labels: Sequence[str | None]) -> np.ndarray:
    names = {label: code for code, label in enumerate(dict.fromkeys(labels))}
    return np.array([names[label] for label in labels], dtype=np.int64)


def _same_label_pairs(
    rng: np.random.Generator, groups: list[np.ndarray], within: np.ndarray, pairs: int
) -> tuple[np.ndarray, np.ndarray]:
    firsts, seconds = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    exhaustive = within.sum() <= pairs
    # Each group gets its share of the sample by its number of pairs: uniform over pairs.
    counts = within if exhaustive else rng.multinomial(pairs, within / max(within.sum(), 1))
    for group, count in zip(groups, counts, strict=True):
        if count == 0:
            continue
        if exhaustive:
            first, second = np.triu_indices(len(group), 1)
        else:
            first = rng.integers(0, len(group), count)
            second = (first + rng.integers(1, len(group), count)) % len(group)  # never first
        firsts.append(group[first])
        seconds.append(group[second])
    return np.concatenate(firsts), np.concatenate(seconds)


def _cross_label_pairs(
    rng: np.random.Generator, codes: np.ndarray, possible: int, pairs: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(codes)
    if possible == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if possible <= pairs and n <= 3000:
        first, second = np.triu_indices(n, 1)
        crossing = codes[first] != codes[second]
        return first[crossing], second[crossing]
    # Uniform over crossing pairs without rejection: draw the first item with weight
    # (items outside its label), then the second uniformly among those items.
    sizes = np.bincount(codes)
    outside = (n - sizes[codes]).astype(np.float64)
    first = rng.choice(n, size=pairs, p=outside / outside.sum())
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = rng.integers(0, n - sizes[codes[first]])
    pick = np.where(pick >= starts[codes[first]], pick + sizes[codes[first]], pick)
    return first, order[pick]


def _dots(rows: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", rows[first], rows[second], dtype=np.float64)


GROWTH_START = 10  # the APS of fewer items says little about the set


def aps_growth(
    embeddings: np.ndarray, order: np.ndarray | None = None, points: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """APS of the first k rows for about `points` values of k, from running sums in O(n*d).

    `order` lists the rows as the set grew (by review time, say); None keeps row order.
    Returns (k, APS of the first k), k from GROWTH_START (or n when smaller) to n.
    """
    rows = unit_rows(embeddings)
    n = len(rows)
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    order = np.arange(n) if order is None else np.asarray(order)
    first = min(GROWTH_START, n)
    sizes = np.unique(np.linspace(first, n, min(points, n - first + 1)).round().astype(np.int64))
    values = np.empty(len(sizes))
    total, start = np.zeros(rows.shape[1]), 0
    for position, size in enumerate(sizes):
        total += rows[order[start:size]].sum(axis=0, dtype=np.float64)
        start = size
        values[position] = (total @ total - size) / (size * (size - 1))
    return sizes, values


def pca_2d(embeddings: np.ndarray) -> np.ndarray:
    """2-D coordinates for a map of the embeddings (zeros when there are too few rows)."""
    if len(embeddings) < 3:
        return np.zeros((len(embeddings), 2))
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(embeddings)


def umap_available() -> bool:
    """Whether umap-learn is installed (it is optional, never a dependency)."""
    from importlib.util import find_spec

    return find_spec("umap") is not None


def umap_2d(embeddings: np.ndarray) -> np.ndarray:
    """2-D UMAP coordinates (cosine metric); needs umap-learn and at least 4 rows."""
    import umap  # optional: callers check umap_available() first

    if len(embeddings) < 4:
        return pca_2d(embeddings)
    reducer = umap.UMAP(n_components=2, metric="cosine", random_state=0)
    return np.asarray(reducer.fit_transform(embeddings))
