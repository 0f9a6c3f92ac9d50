"""Embeddings through Ray Data on the real two-node cluster equal the in-process ones."""

from __future__ import annotations

import numpy as np
import pytest

from seedbed.insights import embeddings
from seedbed.insights.embeddings import (
    FAST_MODEL_NAME,
    MODEL_NAME,
    content_hash,
    embed_texts,
    encode,
    native_bfloat16,
)
from seedbed.insights.ray_embeddings import embed_on_cluster
from seedbed.store.core import Store

pytestmark = pytest.mark.slow

TEXTS = [
    f"{verb} the {thing} before the {time}."
    for verb in ("Summarise", "Translate", "Explain", "Rewrite")
    for thing in ("harbour strike report", "budget memo", "match summary", "recipe", "lease")
    for time in ("meeting", "deadline")
]


def test_ray_data_embeddings_equal_the_in_process_ones_and_fill_the_cache(
    ray_cluster: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = embed_texts(TEXTS)  # in-process: no RAY_ADDRESS in the tests' environment
    keys = [content_hash(text) for text in TEXTS]
    there = embed_on_cluster(keys, TEXTS, ray_cluster, encode, batch_size=8)
    assert np.abs(np.vstack([there[key] for key in keys]) - here).max() < 1e-6

    monkeypatch.setenv("RAY_ADDRESS", ray_cluster)
    monkeypatch.setattr(embeddings, "CLUSTER_FROM", 10)
    through_cache = embed_texts(TEXTS, store)  # 40 unseen texts: embedded on the cluster
    assert np.abs(through_cache - here).max() < 1e-6
    cached = store.get_embeddings(MODEL_NAME, keys)
    assert len(cached) == len(TEXTS)
    assert np.abs(np.frombuffer(cached[keys[0]], dtype=np.float32) - here[0]).max() < 1e-6

    # Fast vectors on the cluster too, cached under their own key.
    fast = embed_texts(TEXTS, store, fast=True)
    assert np.min(np.sum(fast * here, axis=1)) > 0.9999
    assert np.array_equal(fast, here) != native_bfloat16()
    assert len(store.get_embeddings(FAST_MODEL_NAME, keys)) == len(TEXTS)
