"""Semantic near-duplicates: cosine similarity of unit-normalised sentence embeddings.

One text against a pool is one matrix-vector product (`SemanticIndex`). A whole set
(`semantic_duplicates`) cannot afford every pair at 100,000 texts on 2 cores, so an
inverted-file index narrows each text's comparisons: k-means cells over the vectors,
each text stored in its nearest cell and compared exactly with the texts of its
`probes` nearest cells. bench/bench_dedup.py measures what that misses against the
all-pairs reference.
"""

from __future__ import annotations

import numpy as np

SEMANTIC_THRESHOLD = 0.9
PROBES = 8


class SemanticIndex:
    """Unit vectors added one by one; `closest` finds the most similar (exact, brute force)."""

    def __init__(self, vectors: np.ndarray | None = None, threshold: float = SEMANTIC_THRESHOLD):
        self.threshold = threshold
        self._rows = np.zeros((0, 0), dtype=np.float32) if vectors is None else vectors
        self._size = 0 if vectors is None else len(vectors)

    def __len__(self) -> int:
        return self._size

    def closest(self, vector: np.ndarray) -> tuple[float, int | None]:
        """(cosine, position) of the most similar vector; position None below the threshold."""
        if self._size == 0:
            return 0.0, None
        scores = self._rows[: self._size] @ vector
        where = int(np.argmax(scores))
        best = float(scores[where])
        return (best, where) if best >= self.threshold else (best, None)

    def add(self, vector: np.ndarray) -> None:
        if self._size == len(self._rows):  # grow by doubling: adding stays cheap
            grown = np.zeros((max(64, 2 * self._size), len(vector)), dtype=np.float32)
            if self._size:
                grown[: self._size] = self._rows[: self._size]
            self._rows = grown
        self._rows[self._size] = vector
        self._size += 1


def _cells(vectors: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Centroids of `count` k-means cells (a few Lloyd steps from a sample: cells need not be
    optimal, only coherent, since every comparison is exact)."""
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 40 * count), replace=False)]
    centroids = sample[rng.choice(len(sample), size=count, replace=False)].copy()
    for _ in range(5):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        for cell in range(count):
            members = sample[nearest == cell]
            if len(members):
                mean = members.sum(axis=0)
                centroids[cell] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return centroids


def _neighbours(
    vectors: np.ndarray, threshold: float, probes: int, seed: int
) -> dict[int, list[tuple[int, float]]]:
    """For each text, the earlier texts at or above `threshold` that the probed cells hold."""
    n = len(vectors)
    count = max(1, min(n, int(np.sqrt(n))))
    centroids = _cells(vectors, count, seed)
    scores = vectors @ centroids.T
    home = np.argmax(scores, axis=1)
    probes = min(probes, count)
    probed = np.argpartition(-scores, probes - 1, axis=1)[:, :probes]
    # Inverted lists: the texts stored in each cell, and the texts probing it.
    by_home = np.argsort(home, kind="stable")
    home_ends = np.cumsum(np.bincount(home, minlength=count))
    flat = probed.ravel()
    by_probe = np.argsort(flat, kind="stable") // probes
    probe_ends = np.cumsum(np.bincount(flat, minlength=count))
    found: dict[int, list[tuple[int, float]]] = {}
    for cell in range(count):
        members = by_home[(home_ends[cell - 1] if cell else 0) : home_ends[cell]]
        queries = by_probe[(probe_ends[cell - 1] if cell else 0) : probe_ends[cell]]
        if not len(members) or not len(queries):
            continue
        sims = vectors[queries] @ vectors[members].T
        rows, cols = np.nonzero((sims >= threshold) & (members[None, :] < queries[:, None]))
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            pair = (int(members[col]), float(sims[row, col]))
            found.setdefault(int(queries[row]), []).append(pair)
    return found


def _greedy(n: int, neighbours: dict[int, list[tuple[int, float]]]) -> list[int | None]:
    """First copy wins: a text duplicates its most similar earlier *kept* neighbour."""
    result: list[int | None] = []
    for i in range(n):
        kept = [(j, s) for j, s in neighbours.get(i, ()) if result[j] is None]
        result.append(min(kept, key=lambda pair: (-pair[1], pair[0]))[0] if kept else None)
    return result


def semantic_duplicates(
    vectors: np.ndarray,
    threshold: float = SEMANTIC_THRESHOLD,
    probes: int = PROBES,
    seed: int = 0,
) -> list[int | None]:
    """For each unit vector, the position of the earlier kept one it duplicates, or None."""
    if len(vectors) == 0:
        return []
    return _greedy(len(vectors), _neighbours(vectors, threshold, probes, seed))


def pairwise_semantic_reference(
    vectors: np.ndarray, threshold: float = SEMANTIC_THRESHOLD
) -> list[int | None]:
    """The same decisions from all pairs (quadratic; for checking on a sample)."""
    sims = vectors @ vectors.T
    neighbours = {
        i: [(j, float(sims[i, j])) for j in np.flatnonzero(sims[i, :i] >= threshold).tolist()]
        for i in range(len(vectors))
    }
    return _greedy(len(vectors), neighbours)
