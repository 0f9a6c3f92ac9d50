"""De-duplication and the stratified train/validation split."""

from __future__ import annotations

from collections import Counter

import pytest

from seedbed.files.splits import deduplicate, normalise, stratified_split


def test_normalise_ignores_case_and_spacing() -> None:
    assert normalise("  Name a\tPLANET\n with  rings. ") == "name a planet with rings."
    assert normalise("Straße") == normalise("STRASSE")  # casefold, not lower


def test_exact_duplicates_keep_the_first_copy() -> None:
    items = [
        (1, "Name a planet."),
        (2, "name a  PLANET."),
        (3, "Name a star."),
        (4, "Name a planet"),
    ]
    assert deduplicate(items, "exact") == ([1, 3, 4], {2: 1})
    assert deduplicate(items, "none") == ([1, 2, 3, 4], {})


def test_near_duplicates_by_rapidfuzz_ratio() -> None:
    items = [
        (1, "Write a haiku about the sea."),
        (2, "Write a haiku about the seas."),
        (3, "Explain how a bicycle gear works."),
        (4, "write a HAIKU about the sea"),
    ]
    kept, dropped = deduplicate(items, "near", threshold=90)
    assert kept == [1, 3]
    assert dropped == {2: 1, 4: 1}
    # A strict threshold keeps the variants one character away.
    assert deduplicate(items, "near", threshold=99.5)[0] == [1, 2, 3, 4]


def test_split_is_stratified_by_label_and_exact() -> None:
    items = [(i, "a") for i in range(60)] + [(100 + i, "b") for i in range(30)]
    items += [(200 + i, "c") for i in range(10)]
    train, validation = stratified_split(items, 0.2, seed=1)
    assert len(validation) == 20 and len(train) == 80
    label = dict(items)
    assert Counter(label[i] for i in validation) == {"a": 12, "b": 6, "c": 2}
    assert sorted(train + validation) == sorted(i for i, _ in items)
    assert train == sorted(train) and validation == sorted(validation)


def test_split_is_reproducible_and_depends_on_the_seed() -> None:
    items = [(i, "x" if i % 3 else "y") for i in range(50)]
    assert stratified_split(items, 0.3, seed=5) == stratified_split(items, 0.3, seed=5)
    assert stratified_split(items, 0.3, seed=5) != stratified_split(items, 0.3, seed=6)


def test_a_label_with_one_item_stays_in_train() -> None:
    items = [(1, "rare"), (2, "common"), (3, "common"), (4, "common"), (5, "common")]
    train, validation = stratified_split(items, 0.4, seed=0)
    assert 1 in train
    assert len(validation) == 2 and set(validation) <= {2, 3, 4, 5}


def test_largest_remainders_fill_the_validation_total() -> None:
    # 0.25 of 10 is 2.5 -> 2 (round half to even); labels of 4, 3 and 3 items.
    items = [(i, "a") for i in range(4)] + [(10 + i, "b") for i in range(3)]
    items += [(20 + i, "c") for i in range(3)]
    train, validation = stratified_split(items, 0.25, seed=0)
    assert len(validation) == 2
    assert Counter(dict(items)[i] for i in validation)["a"] == 1


def test_edge_cases() -> None:
    train, validation = stratified_split([(1, None), (2, None)], 0.1, seed=0)
    assert len(train) == len(validation) == 1  # validation gets at least one
    assert stratified_split([(1, None)], 0.5, seed=0) == ([1], [])
    assert stratified_split([(3, None), (1, None)], 0.0) == ([1, 3], [])
    with pytest.raises(ValueError, match="below 1"):
        stratified_split([(1, None)], 1.0)


def test_minhash_mode_drops_reworded_copies_after_exact_ones() -> None:
    story = "Write a short story about a lighthouse keeper who finds a message in a bottle."
    items = [
        (1, story),
        (2, story.upper()),
        (3, story.replace("bottle", "jar")),
        (4, "Explain how tides work in two sentences."),
    ]
    assert deduplicate(items, "minhash") == ([1, 4], {2: 1, 3: 1})
    assert deduplicate(items, "minhash", threshold=0.95) == ([1, 3, 4], {2: 1})


def test_semantic_mode_compares_embeddings() -> None:
    import numpy as np

    def embed(texts):  # same first word, same meaning: a stand-in for the sentence model
        rows = [[1.0, 0.0] if text.startswith("Name") else [0.0, 1.0] for text in texts]
        return np.array(rows, dtype=np.float32)

    items = [(1, "Name a planet."), (2, "Explain tides."), (3, "Name a moon of Jupiter.")]
    assert deduplicate(items, "semantic", embed=embed) == ([1, 2], {3: 1})
    with pytest.raises(ValueError, match="embedding function"):
        deduplicate(items, "semantic")
