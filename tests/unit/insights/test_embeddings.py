"""Sentence embeddings with the real all-MiniLM-L6-v2, and their cache in the store."""

from __future__ import annotations

import numpy as np
import pytest

from seedbed.insights import embeddings
from seedbed.store.core import Store

SENTENCES = [
    "The central bank raised interest rates by half a point.",
    "Interest rates went up after the central bank's decision.",
    "The striker scored twice in the cup final.",
]


def test_content_hash_is_stable_and_distinguishes_texts() -> None:
    assert embeddings.content_hash("café") == embeddings.content_hash("café")
    assert embeddings.content_hash("a") != embeddings.content_hash("a ")
    assert len(embeddings.content_hash("x")) == 64


def test_no_texts_give_an_empty_matrix() -> None:
    assert embeddings.embed_texts([]).shape == (0, 384)


@pytest.mark.slow
def test_real_embeddings_are_unit_vectors_that_capture_meaning() -> None:
    vectors = embeddings.embed_texts(SENTENCES)

    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2


@pytest.mark.slow
def test_the_store_cache_spares_the_model(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    model = embeddings.load_embedder()
    encoded: list[str] = []
    real_encode = model.encode

    def counting_encode(texts, **kwargs):
        encoded.extend(texts)
        return real_encode(texts, **kwargs)

    monkeypatch.setattr(model, "encode", counting_encode)
    progress: list[tuple[int, int]] = []

    first = embeddings.embed_texts(
        SENTENCES[:2], store=store, on_progress=lambda *a: progress.append(a)
    )
    assert sorted(encoded) == sorted(SENTENCES[:2])
    assert progress == [(0, 2), (2, 2)]

    # Repeats and cached texts are not embedded again; only the new one is.
    encoded.clear()
    second = embeddings.embed_texts(
        [SENTENCES[1], SENTENCES[2], SENTENCES[0], SENTENCES[2]], store=store
    )
    assert encoded == [SENTENCES[2]]
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    np.testing.assert_array_equal(second[1], second[3])

    encoded.clear()
    third = embeddings.embed_texts(SENTENCES, store=store)
    assert encoded == []
    np.testing.assert_array_equal(third[:2], first)
    np.testing.assert_array_equal(third[2], second[1])


@pytest.mark.slow
def test_fast_vectors_are_close_and_cached_apart(store: Store) -> None:
    full = embeddings.embed_texts(SENTENCES, store=store)
    fast = embeddings.embed_texts(SENTENCES, store=store, fast=True)

    assert fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fast * full, axis=1)) > 0.9999
    np.testing.assert_allclose(fast @ fast.T, full @ full.T, atol=0.005)
    # bfloat16 products where the CPU has them: there, not the same numbers.
    assert np.array_equal(fast, full) != embeddings.native_bfloat16()

    hashes = [embeddings.content_hash(text) for text in SENTENCES]
    kept = store.get_embeddings(embeddings.FAST_MODEL_NAME, hashes)
    np.testing.assert_array_equal(np.frombuffer(kept[hashes[0]], dtype=np.float32), fast[0])
    stored_full = store.get_embeddings(embeddings.MODEL_NAME, hashes)
    np.testing.assert_array_equal(np.frombuffer(stored_full[hashes[0]], dtype=np.float32), full[0])
