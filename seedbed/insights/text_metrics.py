"""Lexical diversity of a set of texts: vocabulary, distinct-n, inter-sample n-grams, compression.

Words are lowercase runs of letters, digits and underscores; ASCII punctuation, Latin-1 and
general Unicode punctuation (quotes, dashes, ellipses, CJK punctuation) and spaces separate
them. Scripts written without spaces count a run of characters as one word.

Everything runs over the whole corpus at once, with 64-bit hashes standing for words,
n-grams and (n-gram, text) pairs: the chance that two different ones share a hash is about
3e-6 even with ten million of them, so the counts are exact for any practical purpose (the
tests and bench/bench_insights.py compare them with plain Python sets).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_SEPARATOR = "\x00"
_WORD_BYTES = set(b"abcdefghijklmnopqrstuvwxyz0123456789_\x00")
# Every ASCII byte that is not part of a word becomes a space; UTF-8 bytes pass through.
_ASCII_TABLE = bytes(c if c in _WORD_BYTES or c >= 0x80 else 0x20 for c in range(256))
_MIX = np.int64(-7046029254386353131)  # an odd 64-bit constant (golden ratio), for n-gram hashes
_MIX_TEXT = np.int64(-4658895280553007687)  # another, for (n-gram, text) pairs


def tokenize(text: str) -> list[str]:
    """The words of one text, by the same rules the corpus measures use."""
    return _clean(text.replace(_SEPARATOR, " ")).split()


def _clean(text: str) -> str:
    raw = np.frombuffer(text.lower().encode("utf-8").translate(_ASCII_TABLE), dtype=np.uint8)
    lead = np.flatnonzero(raw >= 0xC2)
    if len(lead) == 0:
        return raw.tobytes().decode("utf-8")
    data = raw.copy()
    following = data[np.minimum(lead + 1, len(data) - 1)]
    latin1 = lead[(data[lead] == 0xC2) & (following < 0xC0)]  # U+0080..U+00BF
    general = (data[lead] == 0xE2) & ((following == 0x80) | (following == 0x81))  # U+2000..206F
    cjk = (data[lead] == 0xE3) & (following == 0x80)  # U+3000..303F
    for start, width in ((latin1, 2), (lead[general | cjk], 3)):
        for offset in range(width):
            data[start + offset] = 0x20
    return data.tobytes().decode("utf-8")


@dataclass
class _Corpus:
    """Word hashes of every text in order, with the text each word came from."""

    hashes: np.ndarray
    sample_ids: np.ndarray
    n_samples: int

    @classmethod
    def of(cls, texts: Sequence[str]) -> _Corpus:
        joined = f" {_SEPARATOR} ".join(text.replace(_SEPARATOR, " ") for text in texts)
        words = _clean(joined).split()
        hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
        boundary = hashes == hash(_SEPARATOR)
        sample_ids = np.cumsum(boundary)
        return cls(hashes[~boundary], sample_ids[~boundary], len(texts))

    def ngrams(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(hash, text index) of every n-gram that lies inside one text."""
        if n == 1:
            return self.hashes, self.sample_ids
        count = len(self.hashes) - n + 1
        if count <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        grams = self.hashes[:count].copy()
        with np.errstate(over="ignore"):
            for offset in range(1, n):
                grams = grams * _MIX + self.hashes[offset : offset + count]
        inside = self.sample_ids[:count] == self.sample_ids[n - 1 :]
        return grams[inside], self.sample_ids[:count][inside]


@dataclass
class LexicalMeasures:
    """Word-level measures of one set of texts."""

    words: int
    vocabulary_size: int
    distinct: dict[int, float | None] = field(default_factory=dict)
    inter_sample_ngram_frequency: float | None = None
    ingf_n: int = 3
    words_per_text: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def lexical_measures(
    texts: Sequence[str], sizes: Sequence[int] = (1, 2, 3), ingf_n: int = 3
) -> LexicalMeasures:
    """Vocabulary size, distinct-n for each of `sizes`, INGF, and words per text.

    distinct-n (Li et al., 2016) is the number of different n-grams divided by the number of
    n-grams, over the whole set; n-grams never cross from one text into the next.
    """
    corpus = _Corpus.of(texts)
    vocabulary = len(pd.unique(corpus.hashes))
    distinct: dict[int, float | None] = {}
    ingf: float | None = None
    for n in sizes:
        grams, owners = corpus.ngrams(n)
        if n == ingf_n:  # one sort gives both
            distinct[n], ingf = _distinct_and_ingf(grams, owners, corpus.n_samples)
        elif len(grams) == 0:
            distinct[n] = None
        else:
            different = vocabulary if n == 1 else len(pd.unique(grams))
            distinct[n] = different / len(grams)
    if ingf_n not in sizes:
        _, ingf = _distinct_and_ingf(*corpus.ngrams(ingf_n), corpus.n_samples)
    return LexicalMeasures(
        words=len(corpus.hashes),
        vocabulary_size=vocabulary,
        distinct=distinct,
        inter_sample_ngram_frequency=ingf,
        ingf_n=ingf_n,
        words_per_text=np.bincount(corpus.sample_ids, minlength=len(texts))[: len(texts)],
    )


def inter_sample_ngram_frequency(texts: Sequence[str], n: int = 3) -> float | None:
    """How often the n-grams of one text recur in the other texts: lower is more diverse.

    The AttrPrompt paper (Yu et al., 2023, "Large Language Model as Attributed Training Data
    Generator: A Tale of Diversity and Bias") judges diversity by the inter-sample n-gram
    frequency: the more the n-grams of a sample show up in other samples, the more the data
    repeats itself. We make it exact and size-independent: for each text i, take the set G_i
    of its different n-grams; the measure is

        sum over ordered pairs i != j of |G_i & G_j|  /  ((N - 1) * sum over i of |G_i|),

    the average, over every (text, n-gram) pair, of the share of the other N - 1 texts that
    contain that n-gram too. With df(g) the number of texts containing g it equals
    sum df(df - 1) / ((N - 1) sum df), computed in one pass. None below two texts.
    """
    corpus = _Corpus.of(texts)
    return _distinct_and_ingf(*corpus.ngrams(n), corpus.n_samples)[1]


def _distinct_and_ingf(
    grams: np.ndarray, owners: np.ndarray, n_samples: int
) -> tuple[float | None, float | None]:
    """(distinct-n, INGF) from the n-gram hashes and the text each came from.

    Repeats of an n-gram inside one text go first (a 64-bit mix of hash and text stands
    for the pair); one sort of what is left then gives, as run lengths, the number of
    texts holding each n-gram.
    """
    if len(grams) == 0:
        return None, None
    with np.errstate(over="ignore"):
        pairs = grams * _MIX_TEXT + owners
    once_per_text = np.sort(grams[~pd.Series(pairs).duplicated().to_numpy()])
    new_gram = np.empty(len(once_per_text), dtype=bool)
    new_gram[0] = True
    np.not_equal(once_per_text[1:], once_per_text[:-1], out=new_gram[1:])
    starts = np.flatnonzero(new_gram)
    texts_per_gram = np.diff(np.append(starts, len(once_per_text))).astype(np.float64)
    distinct = len(starts) / len(grams)
    if n_samples < 2:
        return distinct, None
    shared = float((texts_per_gram * (texts_per_gram - 1)).sum())
    return distinct, shared / ((n_samples - 1) * float(texts_per_gram.sum()))


@dataclass
class Compression:
    """gzip compression ratio: original bytes over compressed bytes (higher repeats more)."""

    ratio: float | None
    texts_used: int
    texts_total: int

    @property
    def sampled(self) -> bool:
        return self.texts_used < self.texts_total


def compression_ratio(
    texts: Sequence[str], max_chars: int = 1_000_000, seed: int = 0
) -> Compression:
    """Size of the texts joined by newlines over their gzip size (level 9), as in Shaib et al.

    Above `max_chars` characters a random subset of whole texts (kept in their order) is
    compressed instead: gzip only looks back 32 KB, so the ratio of a long corpus is an
    average of local ratios and a random subset of a megabyte estimates it well.
    """
    # Characters stand in for bytes when choosing: encoding every text would cost more.
    sizes = np.fromiter((len(text) + 1 for text in texts), dtype=np.int64, count=len(texts))
    chosen = np.arange(len(texts))
    if sizes.sum() > max_chars:
        order = np.random.default_rng(seed).permutation(len(texts))
        fits = int(np.searchsorted(np.cumsum(sizes[order]), max_chars))
        chosen = np.sort(order[: max(1, fits)])
    data = "\n".join(texts[index] for index in chosen).encode("utf-8")
    if not data:
        return Compression(None, 0, len(texts))
    return Compression(len(data) / len(gzip.compress(data, 9, mtime=0)), len(chosen), len(texts))
