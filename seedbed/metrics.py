"""Diversity measures over unit-normalised sentence embeddings."""

from __future__ import annotations

import numpy as np


def average_pairwise_similarity(embeddings: np.ndarray) -> float | None:
    """Mean cosine similarity over all distinct pairs (APS), exact in O(n*d).

    Rows are normalised first. With unit rows v_i and s = sum(v_i): sum over ordered pairs i != j of
    v_i . v_j = |s|^2 - n, so no n x n matrix is ever built. None below two rows.
    """
    n = len(embeddings)
    if n < 2:
        return None
    rows = embeddings.astype(np.float64)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    total = rows.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def pca_2d(embeddings: np.ndarray) -> np.ndarray:
    """2-D coordinates for a map of the embeddings (zeros when there are too few rows)."""
    if len(embeddings) < 3:
        return np.zeros((len(embeddings), 2))
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(embeddings)
