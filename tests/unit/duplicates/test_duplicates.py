"""MinHash and embedding-cosine near-duplicates: the fast paths decide as the pairwise ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from seedbed.duplicates.minhash import (
    MinHashIndex,
    jaccard,
    minhash_duplicates,
    pairwise_minhash_reference,
    shingles,
)
from seedbed.duplicates.pool import DuplicatePool
from seedbed.duplicates.semantic import (
    SemanticIndex,
    pairwise_semantic_reference,
    semantic_duplicates,
)

STORY = "Write a short story about a lighthouse keeper who finds a message in a bottle."


def test_shingles_are_case_folded_word_trigrams() -> None:
    assert shingles("The cat SAT down") == frozenset({"the cat sat", "cat sat down"})
    assert shingles("Hello there") == frozenset({"hello there"})
    assert jaccard(shingles(STORY), shingles(STORY.upper())) == 1.0


def test_the_index_finds_a_reworded_copy_and_names_it() -> None:
    index = MinHashIndex(["Name three planets with rings.", STORY])
    score, where = index.closest(STORY.replace("bottle", "jar"))
    assert where == 1 and 0.7 <= score < 1.0
    assert index.closest("Explain how tides work in two sentences.")[1] is None


def corpus(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    vocabulary = [f"word{i}" for i in range(400)]
    texts: list[str] = []
    for _ in range(n):
        if texts and rng.random() < 0.2:
            words = rng.choice(texts).split()
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
            texts.append(" ".join(words))
        else:
            texts.append(" ".join(rng.choices(vocabulary, k=rng.randint(15, 30))))
    return texts


def test_minhash_decides_as_the_pairwise_reference() -> None:
    texts = corpus(400)
    fast, slow = minhash_duplicates(texts), pairwise_minhash_reference(texts)
    assert sum(d is not None for d in slow) > 30  # the planted copies are there
    agree = sum((a is None) == (b is None) for a, b in zip(fast, slow, strict=True))
    assert agree >= len(texts) - 2  # LSH may miss a pair near the threshold, rarely
    # Whatever it reports is a real duplicate of an earlier kept text.
    sets = [shingles(text) for text in texts]
    for i, j in enumerate(fast):
        if j is not None:
            assert j < i and fast[j] is None and jaccard(sets[i], sets[j]) >= 0.7


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_semantic_decides_as_all_pairs() -> None:
    rng = np.random.default_rng(3)
    rows = rng.standard_normal((1500, 64))
    copies = rng.choice(np.arange(1, 1500), 200, replace=False)
    for i in copies:
        rows[i] = rows[rng.integers(0, i)] + 0.2 * rng.standard_normal(64)
    vectors = unit(rows)
    slow = pairwise_semantic_reference(vectors)
    assert sum(d is not None for d in slow) > 100
    assert semantic_duplicates(vectors) == slow


def test_the_semantic_index_grows_and_finds_the_closest() -> None:
    index = SemanticIndex()
    vectors = unit(np.eye(3) + 0.01)
    for vector in vectors[:2]:
        index.add(vector)
    assert index.closest(vectors[1])[1] == 1
    assert index.closest(vectors[2])[1] is None and len(index) == 2


def test_the_pool_checks_name_the_closest_pool_text() -> None:
    def embed(texts):  # a stand-in for the sentence model: same first word, same meaning
        first = ["Write", "Explain", "Summarise"]
        return unit(np.array([np.eye(3)[first.index(t.split()[0])] for t in texts]))

    pool = DuplicatePool(["Explain tides.", STORY], embed=embed)
    minhash, semantic = pool.checks(STORY.replace("bottle", "jar"))
    assert not minhash.passed and minhash.detail.startswith("closest (Jaccard 0.")
    assert minhash.detail.endswith(STORY)
    assert not semantic.passed and semantic.detail == f"closest (cosine 1.00): {STORY}"
    fresh = pool.checks("Summarise the plot of a novel you like.")
    assert [check.passed for check in fresh] == [True, True]
    pool.add("Summarise the plot of a novel you like.")
    assert not pool.checks("Summarise the plot of a novel you like.")[0].passed


@pytest.mark.slow
def test_paraphrases_are_semantic_duplicates_with_the_real_model() -> None:
    from seedbed.insights.embeddings import embed_texts

    pool = DuplicatePool(["How do I bake sourdough bread at home?"], embed=embed_texts)
    [_, semantic] = pool.checks("How can I bake sourdough bread at home?")
    assert not semantic.passed


def test_clusters_group_copies_with_their_first_copy_largest_first() -> None:
    from seedbed.duplicates.minhash import duplicate_clusters

    assert duplicate_clusters([None, None, 0, 1, 0, None]) == {0: [0, 2, 4], 1: [1, 3]}
