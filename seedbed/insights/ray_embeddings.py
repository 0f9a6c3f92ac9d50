"""Embeddings on a Ray cluster: Ray Data's `map_batches` over an actor pool holding the model.

Used by seedbed/insights/embeddings.py for a large selection when a cluster is
configured; each actor embeds batches with the function it is given (the model loads
once per actor, from the package installed on its node), one actor per node. The
vectors come back to the caller, which stores them in the same embedding cache as
in-process ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from seedbed.cluster import connect

Encode = Callable[[Sequence[str]], np.ndarray]


class _Embedder:
    """One actor: embeds a batch of texts, carrying their keys along."""

    def __init__(self, encode: Encode) -> None:
        self.encode = encode

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encode([str(text) for text in batch["text"]])
        return {"key": batch["key"], "vector": np.asarray(vectors, dtype=np.float32)}


def embed_on_cluster(
    keys: Sequence[str],
    texts: Sequence[str],
    address: str,
    encode: Encode,
    batch_size: int = 64,
) -> dict[str, np.ndarray]:
    """Each text's unit-normalised float32 vector, by its key, computed on the cluster.

    `encode` turns a batch of texts into their vectors in each actor (it is sent by
    reference: the nodes import it from their own Seedbed).
    """
    ray = connect(address)
    nodes = sum(1 for node in ray.nodes() if node["Alive"])
    rows = [{"key": key, "text": text} for key, text in zip(keys, texts, strict=True)]
    embedded = ray.data.from_items(rows).map_batches(
        _Embedder,
        fn_constructor_args=(encode,),
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=max(1, nodes),
        num_cpus=1,
    )
    return {
        str(row["key"]): np.asarray(row["vector"], dtype=np.float32) for row in embedded.iter_rows()
    }
