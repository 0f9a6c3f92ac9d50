"""Contamination: candidates that share a long word n-gram or a near-identical meaning with
an item of an evaluation set, so training on them would leak the benchmark.

The n-gram test follows the GPT-3 paper's contamination analysis (Brown et al., 2020,
appendix C): lower-cased word tokens, a 13-gram in common flags the pair. An evaluation
item shorter than n words is matched as a whole (its full word sequence inside the
candidate), as the paper did for short items with a smaller n. The embedding test flags a
cosine at least `threshold` between a candidate and an evaluation item.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from seedbed.errors import InputError

NGRAM = 13
EMBEDDING_THRESHOLD = 0.9
_WORD = re.compile(r"\w+")


class EvalSetError(InputError):
    """An evaluation file that cannot be read."""


def _strings(value: object) -> list[str]:
    """Every string inside a JSON value (a chat's messages included), in order."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [text for inner in value.values() for text in _strings(inner)]
    if isinstance(value, list):
        return [text for inner in value for text in _strings(inner)]
    return []


def read_eval_file(name: str, data: bytes) -> list[str]:
    """The items of an evaluation set: JSONL (every string of a record, joined), CSV (every
    cell of a row, joined) or plain text (one item per non-empty line)."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise EvalSetError(f"{name} is not UTF-8 text.") from error
    lower = name.lower()
    if lower.endswith((".jsonl", ".json")):
        items = []
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append("\n".join(_strings(json.loads(line))))
            except json.JSONDecodeError as error:
                raise EvalSetError(f"{name} line {number} is not JSON: {error.msg}.") from None
    elif lower.endswith((".csv", ".tsv")):
        dialect = "excel-tab" if lower.endswith(".tsv") else "excel"
        rows = list(csv.reader(io.StringIO(content), dialect=dialect))[1:]  # after the header
        items = ["\n".join(cell for cell in row if cell.strip()) for row in rows]
        items = [item for item in items if item]
    else:
        items = [line.strip() for line in content.splitlines() if line.strip()]
    if not items:
        raise EvalSetError(f"{name} holds no evaluation item.")
    return items


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


@dataclass
class NgramIndex:
    """The n-grams of an evaluation set (and the whole word sequence of its short items)."""

    n: int = NGRAM
    grams: dict[tuple[str, ...], int] = field(default_factory=dict)  # n-gram -> first item
    short_lengths: set[int] = field(default_factory=set)

    @classmethod
    def build(cls, items: Sequence[str], n: int = NGRAM) -> NgramIndex:
        if n < 1:
            raise EvalSetError("The n-gram length must be at least 1.")
        index = cls(n)
        for position, item in enumerate(items):
            tokens = words(item)
            if 0 < len(tokens) < n:
                index.grams.setdefault(tuple(tokens), position)
                index.short_lengths.add(len(tokens))
            for start in range(len(tokens) - n + 1):
                index.grams.setdefault(tuple(tokens[start : start + n]), position)
        return index

    def match(self, text: str) -> tuple[int, str] | None:
        """(evaluation item, the shared words) for the first shared n-gram, or None."""
        tokens = words(text)
        for size in (self.n, *sorted(self.short_lengths, reverse=True)):
            for start in range(len(tokens) - size + 1):
                gram = tuple(tokens[start : start + size])
                if gram in self.grams:
                    return self.grams[gram], " ".join(gram)
        return None


@dataclass
class ContaminationHit:
    candidate_id: int
    eval_item: int  # position in the evaluation set
    kind: str  # "n-gram" or "embedding"
    evidence: str  # the shared words, or the cosine


@dataclass
class ContaminationReport:
    checked: int
    eval_items: int
    n: int
    threshold: float | None  # None: the embedding test was not run
    hits: list[ContaminationHit]

    @property
    def flagged(self) -> set[int]:
        return {hit.candidate_id for hit in self.hits}

    def summary(self) -> str:
        tests = f"a shared {self.n}-word sequence"
        if self.threshold is not None:
            tests += f" or an embedding cosine at least {self.threshold:g}"
        by_kind = {
            kind: len({h.candidate_id for h in self.hits if h.kind == kind})
            for kind in ("n-gram", "embedding")
        }
        return (
            f"{len(self.flagged)} of {self.checked} records flagged against {self.eval_items} "
            f"evaluation items ({tests}; {by_kind['n-gram']} by n-gram, "
            f"{by_kind['embedding']} by embedding)"
        )


def contamination_report(
    candidates: Sequence[tuple[int, str]],
    eval_items: Sequence[str],
    n: int = NGRAM,
    vectors: tuple[np.ndarray, np.ndarray] | None = None,
    threshold: float = EMBEDDING_THRESHOLD,
) -> ContaminationReport:
    """Every candidate (id, text) that shares an n-gram with, or (with `vectors`: the
    candidates' and the evaluation items' unit embeddings) lies within `threshold` cosine
    of, an evaluation item."""
    index = NgramIndex.build(eval_items, n)
    hits = []
    for candidate_id, text in candidates:
        if (found := index.match(text)) is not None:
            hits.append(ContaminationHit(candidate_id, found[0], "n-gram", found[1]))
    if vectors is not None:
        ours, theirs = vectors
        for start in range(0, len(ours), 2048):  # bounded memory for large sets
            sims = ours[start : start + 2048] @ theirs.T
            best = sims.argmax(axis=1) if len(theirs) else np.zeros(0, dtype=int)
            for row, item in enumerate(best.tolist()):
                score = float(sims[row, item])
                if score >= threshold:
                    candidate_id = candidates[start + row][0]
                    hits.append(ContaminationHit(candidate_id, item, "embedding", f"{score:.3f}"))
    return ContaminationReport(
        len(candidates), len(eval_items), n, threshold if vectors is not None else None, hits
    )
