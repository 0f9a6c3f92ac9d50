"""Duplicate checks at generation time: each new candidate against the project's pool.

The pool is the novelty pool (seedbed/jobs/context.py POOL_RULE: seeds, accepted
candidates, pending ones whose instruction checks passed). A MinHash check always runs
(cheap); an embedding-cosine check runs when the job asks for it, since it loads the
sentence model. Like every check, a failure flags a candidate and names the closest
pool text; it never drops one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from seedbed.duplicates.minhash import MINHASH_THRESHOLD, MinHashIndex
from seedbed.duplicates.semantic import SEMANTIC_THRESHOLD, SemanticIndex
from seedbed.models import Check

Embed = Callable[[Sequence[str]], np.ndarray]
_SHOWN = 200  # characters of the closest text in a check's detail


def _closest(text: str, score: float, measure: str) -> str:
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return f"closest ({measure} {score:.2f}): {shown}"


class DuplicatePool:
    """The pool's texts, indexed for MinHash and (with `embed`) for embedding cosine."""

    def __init__(
        self,
        texts: Sequence[str],
        embed: Embed | None = None,
        minhash_threshold: float = MINHASH_THRESHOLD,
        semantic_threshold: float = SEMANTIC_THRESHOLD,
    ) -> None:
        self.texts = list(texts)
        self.minhash = MinHashIndex(self.texts, minhash_threshold)
        self.embed = embed
        self.semantic: SemanticIndex | None = None
        if embed is not None:
            vectors = embed(self.texts) if self.texts else None
            self.semantic = SemanticIndex(vectors, semantic_threshold)

    def checks(self, text: str) -> list[Check]:
        """ "minhash_duplicate" and, with an embedder, "semantic_duplicate" for `text`."""
        score, where = self.minhash.closest(text)
        found = [
            Check(
                name="minhash_duplicate",
                passed=where is None,
                score=score,
                detail=_closest(self.texts[where], score, "Jaccard") if where is not None else "",
            )
        ]
        if self.semantic is not None and self.embed is not None:
            score, where = self.semantic.closest(self.embed([text])[0])
            found.append(
                Check(
                    name="semantic_duplicate",
                    passed=where is None,
                    score=score,
                    detail=_closest(self.texts[where], score, "cosine")
                    if where is not None
                    else "",
                )
            )
        return found

    def add(self, text: str) -> None:
        self.texts.append(text)
        self.minhash.add(text)
        if self.semantic is not None and self.embed is not None:
            self.semantic.add(self.embed([text])[0])
