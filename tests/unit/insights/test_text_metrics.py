"""Lexical measures: counted by hand on small texts, and against plain Python sets."""

from __future__ import annotations

import gzip
import random

import numpy as np
import pytest

from seedbed.insights.text_metrics import (
    compression_ratio,
    inter_sample_ngram_frequency,
    lexical_measures,
    tokenize,
)


def test_tokenize_lowercases_and_splits_on_punctuation() -> None:
    assert tokenize("The cat's  hat—“big”, red… café_1!") == [
        "the",
        "cat",
        "s",
        "hat",
        "big",
        "red",
        "café_1",
    ]
    assert tokenize("a\x00b\n\tC") == ["a", "b", "c"]
    assert tokenize("«Ça va?» ¿Qué?") == ["ça", "va", "qué"]
    assert tokenize("数据。集合") == ["数据", "集合"]
    assert tokenize("") == []


def test_distinct_n_counted_by_hand() -> None:
    texts = ["the cat sat", "the cat ran", "a dog"]
    # words: the cat sat the cat ran a dog -> 8 words, 6 different
    # bigrams: (the cat) (cat sat) (the cat) (cat ran) (a dog) -> 5, 4 different
    # trigrams: (the cat sat) (the cat ran) -> 2, 2 different; none across texts
    measures = lexical_measures(texts)
    assert measures.words == 8
    assert measures.vocabulary_size == 6
    assert measures.distinct == {1: 6 / 8, 2: 4 / 5, 3: 1.0}
    assert measures.words_per_text.tolist() == [3, 3, 2]


def test_ngrams_never_cross_texts() -> None:
    # Joined, "b c" would be a bigram; apart, each text has one word.
    measures = lexical_measures(["a", "b", "c", "b c"])
    assert measures.distinct[2] == 1.0  # the only bigram is (b c), once
    assert measures.distinct[3] is None


def test_ingf_counted_by_hand() -> None:
    texts = ["the cat sat down", "the cat sat up", "dogs bark loudly", "the cat sat down"]
    # Trigram sets: A={the cat sat, cat sat down}, B={the cat sat, cat sat up},
    # C={dogs bark loudly}, D=A. Ordered pairs: |A&B|=1, |A&D|=2, |B&D|=1, so the shared
    # total over ordered pairs is 2 * (1 + 2 + 1) = 8; sum |G_i| = 2 + 2 + 1 + 2 = 7.
    expected = 8 / (3 * 7)
    assert inter_sample_ngram_frequency(texts) == pytest.approx(expected)
    assert lexical_measures(texts).inter_sample_ngram_frequency == pytest.approx(expected)


def test_ingf_counts_an_ngram_once_per_text() -> None:
    # "a b c" three times in the first text, once in the second: df = 2, one shared pair.
    texts = ["a b c a b c a b c", "a b c"]
    # G_1 = {abc, bca, cab}, G_2 = {abc}: shared over ordered pairs 2, sum |G| = 4.
    assert inter_sample_ngram_frequency(texts) == pytest.approx(2 / (1 * 4))


def brute_ingf(texts: list[str], n: int) -> float:
    sets = [{tuple(w[i : i + n]) for i in range(len(w) - n + 1)} for w in map(tokenize, texts)]
    shared = sum(len(a & b) for i, a in enumerate(sets) for j, b in enumerate(sets) if i != j)
    return shared / ((len(sets) - 1) * sum(len(s) for s in sets))


def brute_distinct(texts: list[str], n: int) -> float:
    grams = [
        tuple(words[i : i + n]) for words in map(tokenize, texts) for i in range(len(words) - n + 1)
    ]
    return len(set(grams)) / len(grams)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_measures_equal_python_sets_on_random_texts(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = ["alpha", "beta", "gamma", "delta", "Delta,", "é", "x"]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 12))) for _ in range(60)]
    measures = lexical_measures(texts, sizes=(1, 2, 3, 4), ingf_n=2)
    for n in (1, 2, 3, 4):
        assert measures.distinct[n] == pytest.approx(brute_distinct(texts, n))
    assert measures.inter_sample_ngram_frequency == pytest.approx(brute_ingf(texts, 2))
    assert inter_sample_ngram_frequency(texts, 3) == pytest.approx(brute_ingf(texts, 3))


def test_too_little_text_gives_none() -> None:
    assert inter_sample_ngram_frequency(["one text only here"]) is None
    measures = lexical_measures([])
    assert measures.words == 0 and measures.distinct == {1: None, 2: None, 3: None}
    assert compression_ratio([]).ratio is None


def test_compression_ratio_is_gzip_of_the_joined_texts() -> None:
    texts = ["the same sentence again"] * 50 + ["something else entirely"]
    data = "\n".join(texts).encode()
    result = compression_ratio(texts)
    assert result.ratio == pytest.approx(len(data) / len(gzip.compress(data, 9)))
    assert not result.sampled
    assert result.ratio > compression_ratio([f"{i} {i * 7919} {i**3}" for i in range(50)]).ratio


def test_compression_samples_whole_texts_above_the_limit_and_says_so() -> None:
    rng = np.random.default_rng(0)
    words = np.array(["tide", "moon", "harbour", "rain", "market", "vote", "goal", "clinic"])
    texts = [" ".join(rng.choice(words, 20)) for _ in range(6000)]
    full = compression_ratio(texts, max_chars=10**9)
    # A sample several times gzip's 32 KB window estimates the whole well.
    sampled = compression_ratio(texts, max_chars=200_000)

    assert not full.sampled and full.texts_used == 6000
    assert sampled.sampled and sampled.texts_total == 6000
    average = sum(len(text) + 1 for text in texts) / len(texts)
    assert sampled.texts_used == pytest.approx(
        200_000 / average, rel=0.02
    )  # whole texts up to the limit
    assert sampled.ratio == pytest.approx(full.ratio, rel=0.03)
