"""MinHash near-duplicates: Jaccard similarity of word 3-gram shingles, found through LSH.

datasketch's MinHash LSH proposes candidates; every proposal is verified with the
exact Jaccard similarity of the two shingle sets, so a reported duplicate always is
one (no false positives). What LSH can miss is measured against the pairwise
reference by bench/bench_dedup.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH

MINHASH_THRESHOLD = 0.7
SHINGLE_WORDS = 3
NUM_PERM = 64
# LSH bands favour recall: a false proposal costs one exact Jaccard, a miss costs a duplicate.
LSH_WEIGHTS = (0.2, 0.8)
# The LSH is tuned for a lower similarity than the one verified, for the same reason.
LSH_MARGIN = 0.1
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """The word `size`-grams of `text` (case-folded); a shorter text is one shingle."""
    words = _WORD.findall(text.casefold())
    if len(words) <= size:
        return frozenset({" ".join(words)}) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _hash32(data: bytes) -> int:
    # Python's own hash: several times faster than datasketch's SHA-1, and an index lives
    # in one process only, so its per-process salt does not matter.
    return hash(data) & 0xFFFFFFFF


def _signatures(sets: Sequence[frozenset[str]]) -> list[MinHash]:
    encoded = [[shingle.encode() for shingle in shingle_set] for shingle_set in sets]
    return MinHash.bulk(encoded, num_perm=NUM_PERM, hashfunc=_hash32)


class MinHashIndex:
    """Texts added one by one; `closest` finds the most similar one above the threshold."""

    def __init__(self, texts: Sequence[str] = (), threshold: float = MINHASH_THRESHOLD) -> None:
        self.threshold = threshold
        self.lsh = MinHashLSH(
            threshold=max(0.05, threshold - LSH_MARGIN), num_perm=NUM_PERM, weights=LSH_WEIGHTS
        )
        self.texts: list[str] = []
        self.sets: list[frozenset[str]] = []
        sets = [shingles(text) for text in texts]
        for text, shingle_set, signature in zip(texts, sets, _signatures(sets), strict=True):
            self._insert(text, shingle_set, signature)

    def __len__(self) -> int:
        return len(self.texts)

    def _insert(self, text: str, shingle_set: frozenset[str], signature: MinHash) -> None:
        if shingle_set:
            self.lsh.insert(len(self.texts), signature, check_duplication=False)
        self.texts.append(text)
        self.sets.append(shingle_set)

    def _best(self, shingle_set: frozenset[str], signature: MinHash) -> tuple[float, int | None]:
        best, where = 0.0, None
        if not shingle_set:
            return best, where
        for key in self.lsh.query(signature):
            score = jaccard(shingle_set, self.sets[key])
            if score > best or (score == best and where is not None and key < where):
                best, where = score, key
        return (best, where) if best >= self.threshold else (best, None)

    def closest(self, text: str) -> tuple[float, int | None]:
        """(Jaccard, position of the closest added text) when at least the threshold, else
        (the best verified score, None)."""
        shingle_set = shingles(text)
        return self._best(shingle_set, _signatures([shingle_set])[0])

    def add(self, text: str) -> None:
        shingle_set = shingles(text)
        self._insert(text, shingle_set, _signatures([shingle_set])[0])


def minhash_duplicates(
    texts: Sequence[str], threshold: float = MINHASH_THRESHOLD
) -> list[int | None]:
    """For each text, the position of the earlier kept text it duplicates, or None (kept).

    The first copy wins: a text is compared with the texts kept before it.
    """
    sets = [shingles(text) for text in texts]
    index = MinHashIndex(threshold=threshold)
    positions: list[int] = []  # index position -> position in `texts`
    result: list[int | None] = []
    for i, (shingle_set, signature) in enumerate(zip(sets, _signatures(sets), strict=True)):
        _, where = index._best(shingle_set, signature)
        if where is None:
            index._insert(texts[i], shingle_set, signature)
            positions.append(i)
            result.append(None)
        else:
            result.append(positions[where])
    return result


def pairwise_minhash_reference(
    texts: Sequence[str], threshold: float = MINHASH_THRESHOLD
) -> list[int | None]:
    """The same decisions by comparing every text with every kept one (slow; for checking)."""
    sets = [shingles(text) for text in texts]
    kept: list[int] = []
    result: list[int | None] = []
    for i, shingle_set in enumerate(sets):
        best, where = 0.0, None
        for j in kept:
            score = jaccard(shingle_set, sets[j])
            if score > best:
                best, where = score, j
        if where is not None and best >= threshold:
            result.append(where)
        else:
            kept.append(i)
            result.append(None)
    return result


def duplicate_clusters(found: Sequence[int | None]) -> dict[int, list[int]]:
    """Clusters from `*_duplicates` results: each kept position with the positions that
    duplicate it, for clusters of two or more, largest first."""
    clusters: dict[int, list[int]] = {}
    for position, duplicate_of in enumerate(found):
        if duplicate_of is not None:
            clusters.setdefault(duplicate_of, [duplicate_of]).append(position)
    return dict(sorted(clusters.items(), key=lambda item: (-len(item[1]), item[0])))
