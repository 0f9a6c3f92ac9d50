"""Exact ROUGE-L novelty against a growing pool of instructions, fast.

Self-Instruct keeps a new instruction only if its ROUGE-L F-measure against every pool
instruction is at most 0.7. The reference code scores every pair with `rouge_score`
(a pure-Python dynamic programme per pair). `NoveltyIndex` gives the same maximum score
and therefore the same decisions, much faster:

- tokens are interned to integer ids;
- an inverted index (token -> pool items, with counts) finds the items sharing a token
  with the probe and, for each, the multiset overlap, an upper bound on the LCS;
- the F-measure bound from that overlap decides which items can still beat the best
  score found so far; only those get an exact LCS;
- the exact LCS is the bit-parallel algorithm of Allison-Dix / Hyyrö (the probe's token
  positions are the bits), run on all surviving pool items at once with numpy uint64
  (probes longer than 64 tokens use Python integers, one item at a time).

Scores are computed from the integer LCS with rouge_score's own float formula, so even
ties at exactly 0.7 decide the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cache
from typing import Literal

import numpy as np

Tokenizer = Literal["rouge", "unicode"]
_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")
# Scripts written without spaces between words: each character is a token.
_CJK = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002fa1f\U00030000-\U0003134f"
)
_FIRST_BATCH = 256  # items scored exactly before the rest are pruned by their bound


def rouge_tokens(text: str) -> list[str]:
    """The tokens of rouge_score's default tokenizer (no stemming).

    Lower-cases, keeps runs of ASCII letters and digits, drops everything else,
    including every non-ASCII character ("Café" gives ["caf"]).
    """
    return _ROUGE_TOKEN.findall(text.lower())


@cache
def _unicode_token_pattern() -> re.Pattern[str]:
    # `re` has no \p{M}: collect the combining marks (accents, Indic vowel signs) once,
    # so that they stay inside their word. Marks live in planes 0, 1 and 14 only.
    category = unicodedata.category
    codes = [
        code
        for block in (range(0x20000), range(0xE0000, 0xE1000))
        for code in block
        if category(chr(code)).startswith("M")
    ]
    ranges, start = [], codes[0]
    for previous, code in zip(codes, codes[1:] + [-1], strict=True):
        if code != previous + 1:
            ranges.append(f"\\U{start:08x}-\\U{previous:08x}")
            start = code
    marks = "".join(ranges)
    return re.compile(f"[{_CJK}]|(?:[^\\W_{_CJK}]|[{marks}])+")


def unicode_tokens(text: str) -> list[str]:
    """Words of any script, case-folded; each CJK character is a token of its own.

    The text is NFKC-normalised first (full-width letters, ligatures, composed accents),
    so "Ｃａｆé" and "café" give the same token. On plain ASCII text the tokens equal
    `rouge_tokens`. Thai, Lao and similar scripts come out as whole runs (no segmenter).
    """
    return _unicode_token_pattern().findall(unicodedata.normalize("NFKC", text).casefold())


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "rouge": rouge_tokens,
    "unicode": unicode_tokens,
}


def f_measure(lcs: int, target_len: int, prediction_len: int) -> float:
    """ROUGE-L F from an LCS length, with rouge_score's exact float operations."""
    if lcs == 0:
        return 0.0
    precision = lcs / prediction_len
    recall = lcs / target_len
    return 2 * precision * recall / (precision + recall)


def _f_measures(lcs: np.ndarray, target_len: int, prediction_lens: np.ndarray) -> np.ndarray:
    """`f_measure` over arrays: the same IEEE operations in the same order."""
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = lcs / prediction_lens
        recall = lcs / target_len
        scores = 2 * precision * recall / (precision + recall)
    return np.where(lcs > 0, scores, 0.0)


def _position_masks(tokens: Sequence[Hashable]) -> dict[Hashable, int]:
    masks: dict[Hashable, int] = {}
    for position, token in enumerate(tokens):
        masks[token] = masks.get(token, 0) | (1 << position)
    return masks


def _lcs_with_masks(masks: dict[Hashable, int], length: int, other: Iterable[Hashable]) -> int:
    # Hyyrö's bit-vector LCS: a zero bit in `row` marks a matched pattern position.
    full = (1 << length) - 1
    row = full
    for token in other:
        matched = row & masks.get(token, 0)
        row = ((row + matched) | (row - matched)) & full
    return length - row.bit_count()


def lcs_length(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Length of the longest common subsequence of two token sequences."""
    if len(a) > len(b):
        a, b = b, a
    return _lcs_with_masks(_position_masks(a), len(a), b) if a else 0


def rouge_l_f(target: Sequence[Hashable], prediction: Sequence[Hashable]) -> float:
    """ROUGE-L F-measure of two token lists, as rouge_score's `_score_lcs` computes it."""
    if not target or not prediction:
        return 0.0
    return f_measure(lcs_length(target, prediction), len(target), len(prediction))


class _Growable:
    """A numpy array that grows by doubling, for appends in amortised O(1)."""

    __slots__ = ("data", "size")

    def __init__(self, dtype: type, capacity: int = 4) -> None:
        self.data = np.empty(capacity, dtype)
        self.size = 0

    def extend(self, values: Sequence[int]) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.empty(max(end, 2 * len(self.data)), self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : end] = values
        self.size = end

    def view(self) -> np.ndarray:
        return self.data[: self.size]


class NoveltyIndex:
    """A pool of texts (seed and accepted instructions) ready for ROUGE-L queries.

    Args:
        pool: the texts to start with; `add` appends more later.
        tokenizer: "rouge" (the reference tokenizer, English only) or "unicode"
            (any script; see `unicode_tokens`).

    Reading (`closest`) from several threads is safe; `add` while another thread
    reads is not.
    """

    def __init__(self, pool: Iterable[str] = (), tokenizer: Tokenizer = "rouge") -> None:
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"unknown tokenizer {tokenizer!r}: use 'rouge' or 'unicode'")
        self.tokenizer: Tokenizer = tokenizer
        self._tokenize = TOKENIZERS[tokenizer]
        self._texts: list[str] = []
        self._vocab: dict[str, int] = {}
        self._tokens = _Growable(np.int32, 1024)  # every item's token ids, back to back
        self._starts = _Growable(np.int64, 64)
        self._lengths = _Growable(np.int64, 64)
        self._postings: list[tuple[_Growable, _Growable]] = []  # id -> (items, counts)
        for text in pool:
            self.add(text)

    def __len__(self) -> int:
        return len(self._texts)

    def add(self, text: str) -> None:
        """Appends one text to the pool (for example an instruction just accepted)."""
        item = len(self._texts)
        ids = [self._intern(token) for token in self._tokenize(text)]
        self._texts.append(text)
        self._starts.extend([self._tokens.size])
        self._lengths.extend([len(ids)])
        self._tokens.extend(ids)
        for token_id, count in Counter(ids).items():
            items, counts = self._postings[token_id]
            items.extend([item])
            counts.extend([count])

    def _intern(self, token: str) -> int:
        token_id = self._vocab.get(token)
        if token_id is None:
            token_id = self._vocab[token] = len(self._vocab)
            self._postings.append((_Growable(np.int32), _Growable(np.int32)))
        return token_id

    def closest(self, text: str) -> tuple[float, str | None]:
        """The highest ROUGE-L F-measure of `text` against the pool, and that pool text.

        The score equals the maximum over the pool of rouge_score's
        `_score_lcs(text_tokens, item_tokens).fmeasure`, bit for bit; on a tie the
        earliest pool text wins. Returns (0.0, None) when no pool text shares a token.
        """
        ids = [self._vocab.get(token, -1) for token in self._tokenize(text)]
        overlap = self._overlap(Counter(token_id for token_id in ids if token_id >= 0))
        candidates = np.flatnonzero(overlap)
        if candidates.size == 0:
            return 0.0, None
        # The multiset overlap bounds the LCS, so its F bounds the score.
        bounds = _f_measures(overlap[candidates], len(ids), self._lengths.view()[candidates])
        scores = np.full(candidates.size, -1.0)
        if candidates.size > _FIRST_BATCH:
            first = np.argpartition(bounds, -_FIRST_BATCH)[-_FIRST_BATCH:]
        else:
            first = np.arange(candidates.size)
        scores[first] = self._exact_scores(ids, candidates[first])
        rest = np.flatnonzero((scores < 0) & (bounds >= scores[first].max()))
        if rest.size:
            scores[rest] = self._exact_scores(ids, candidates[rest])
        best = scores.max()
        winner = candidates[np.flatnonzero(scores == best)[0]]
        return float(best), self._texts[winner]

    def _overlap(self, probe_counts: Counter[int]) -> np.ndarray:
        """Per pool item: how many tokens (with multiplicity) it shares with the probe."""
        overlap = np.zeros(len(self._texts), np.int64)
        for token_id, count in probe_counts.items():
            items, counts = self._postings[token_id]
            if count == 1:
                overlap[items.view()] += 1
            else:
                overlap[items.view()] += np.minimum(counts.view(), count)
        return overlap

    def _exact_scores(self, ids: list[int], items: np.ndarray) -> np.ndarray:
        lengths = self._lengths.view()[items]
        if len(ids) <= 64:
            lcs = self._lcs_vectorised(ids, items, lengths)
        else:
            masks = _position_masks(ids)
            tokens, starts = self._tokens.view(), self._starts.view()[items]
            lcs = np.array(
                [
                    _lcs_with_masks(masks, len(ids), tokens[start : start + length].tolist())
                    for start, length in zip(starts, lengths, strict=True)
                ],
                dtype=np.int64,
            )
        return _f_measures(lcs, len(ids), lengths)

    def _lcs_vectorised(self, ids: list[int], items: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Hyyrö's bit-vector LCS for many pool items at once (probe of at most 64 tokens)."""
        lookup = np.zeros(len(self._vocab), np.uint64)  # token id -> probe positions
        for token_id, mask in _position_masks(ids).items():
            if token_id >= 0:
                lookup[token_id] = mask
        # Longest items first, so the items still running at step k are a prefix.
        order = np.argsort(-lengths, kind="stable")
        descending = lengths[order]
        cursor = self._starts.view()[items][order]
        active = np.searchsorted(-descending, -np.arange(descending[0]), side="left")
        full = np.uint64((1 << len(ids)) - 1)
        row = np.full(items.size, full, np.uint64)
        tokens = self._tokens.view()
        for count in active.tolist():
            current = row[:count]
            matched = current & lookup[tokens[cursor[:count]]]
            row[:count] = (current + matched) | (current - matched)
            cursor[:count] += 1
        lcs = np.empty(items.size, np.int64)
        lcs[order] = len(ids) - np.bitwise_count(row & full).astype(np.int64)
        return lcs
