"""The nearest accepted neighbour of a candidate, by embedding cosine similarity.

The accepted set's embeddings come from seedbed.insights.embeddings (cached by content hash
in the store); callers cache the matrix under `accepted_fingerprint`, which
changes whenever the accepted set does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, func, select

from seedbed.insights.embeddings import embed_texts
from seedbed.models import ACCEPTED, CandidateStatus
from seedbed.store import schema as t
from seedbed.store.core import Store


def accepted_fingerprint(store: Store, project_id: int) -> tuple[int, str]:
    """(count, latest review time) of the accepted set: changes whenever the set does."""
    c = t.candidates.c
    accepted = and_(c.project_id == project_id, c.status == CandidateStatus.ACCEPTED.value)
    query = select(func.count(), func.max(c.reviewed_at)).where(accepted)
    with store.engine.connect() as conn:
        count, latest = conn.execute(query).one()
    return int(count), str(latest)


@dataclass
class AcceptedSet:
    ids: list[int]
    texts: list[str]
    matrix: np.ndarray  # one unit-normalised row per accepted candidate


def accepted_set(
    store: Store, project_id: int, embed: Callable[[list[str]], np.ndarray] | None = None
) -> AcceptedSet:
    """Every accepted candidate of the project with its embedding (batched reads); `embed`
    embeds the texts (by default `embed_texts` with the store's cache)."""
    ids, texts = [], []
    for candidate in store.iter_candidates(project_id, ACCEPTED):
        ids.append(candidate.id)
        texts.append(candidate.text)
    vectors = embed(texts) if embed else embed_texts(texts, store)
    return AcceptedSet(ids, texts, vectors)


@dataclass
class Neighbour:
    candidate_id: int
    text: str
    cosine: float


def nearest_accepted(
    store: Store, text: str, accepted: AcceptedSet, exclude_id: int | None = None
) -> Neighbour | None:
    """The accepted candidate closest to `text` (other than `exclude_id`), or None."""
    keep = [i for i, candidate_id in enumerate(accepted.ids) if candidate_id != exclude_id]
    if not keep:
        return None
    vector = embed_texts([text], store)[0]
    scores = accepted.matrix[keep] @ vector
    best = keep[int(np.argmax(scores))]
    return Neighbour(accepted.ids[best], accepted.texts[best], float(np.max(scores)))
