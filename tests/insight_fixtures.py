"""Reviewed candidates for the Insights tests: short news items with attributes, two methods.

AttrPrompt items vary their place and style; the class-conditional baseline repeats one
template and clusters in a few cities, as the AttrPrompt paper found plain prompts do.
"""

from __future__ import annotations

import random
import threading
import zlib
from datetime import UTC, datetime, timedelta

import numpy as np

from seedbed.files.presets import list_presets, load_preset
from seedbed.models import Candidate, Review
from seedbed.store.core import Store

SUBJECTS = {
    "business": [
        "a regional bank",
        "the shipping firm",
        "a coffee exporter",
        "the city's startups",
    ],
    "politics": ["the opposition party", "the city council", "a new coalition", "the senate"],
    "science and technology": ["a university lab", "the space agency", "a robotics team"],
    "sports": ["the national squad", "a marathon runner", "the local club", "a young goalkeeper"],
    "health": ["the public clinic", "a vaccine programme", "nurses", "the health ministry"],
}
EVENTS = [
    "announced a plan that surprised observers",
    "reported results well above last year's",
    "faced questions after a difficult week",
    "won praise for a bold decision",
    "opened a new chapter with a quiet ceremony",
    "warned that the coming months will be hard",
]
DETAILS = [
    "Residents reacted with cautious optimism.",
    "Analysts expect further changes before the end of the year.",
    "Critics say the details remain unclear.",
    "The announcement drew a large crowd.",
    "Officials promised an update next month.",
]
BASELINE_CITIES = ["New York", "London"]


def news_project(store: Store) -> int:
    """The shipped "News topic classification" demo project; returns its id."""
    preset = next(p for p in list_presets() if p.slug == "news-topics")
    return load_preset(store, preset)


def add_reviewed_news(
    store: Store, project_id: int, attrprompt: int = 60, baseline: int = 30, rejected: int = 10
) -> list[int]:
    """Accepted AttrPrompt and class-conditional items, plus some rejected ones; their ids."""
    rng = random.Random(7)
    dimensions = store.list_dimensions(project_id)
    labels = list(SUBJECTS)
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    ids = []
    plan = [("attrprompt", "accepted")] * attrprompt + [
        ("class_conditional", "accepted")
    ] * baseline
    plan += [("attrprompt", "rejected")] * rejected
    for number, (method, decision) in enumerate(plan):
        label = labels[number % len(labels)]
        attributes = {}
        if method == "attrprompt":
            for dimension in dimensions:
                values = dimension.values_for(label)
                # Skewed on purpose: early values far more often than their weights ask.
                weights = [v.weight / (1 + position) ** 1.5 for position, v in enumerate(values)]
                attributes[dimension.name] = rng.choices(values, weights)[0].value
            place = attributes.get("location", "the capital")
            text = (
                f"In {place}, {rng.choice(SUBJECTS[label])} {rng.choice(EVENTS)}. "
                f"{rng.choice(DETAILS)} The {attributes.get('style', 'report')} notes the "
                f"{attributes.get('subtopic', label)} angle."
            )
        else:
            text = (
                f"In {rng.choice(BASELINE_CITIES)}, {SUBJECTS[label][0]} "
                f"{EVENTS[number % 2]}. {DETAILS[0]}"
            )
        created = start + timedelta(minutes=number)
        candidate_id = store.add_candidate(
            Candidate(
                project_id=project_id,
                content={"text": text, "label": label},
                method=method,
                label=label,
                attributes=attributes,
                created_at=created,
            )
        )
        store.record_review(
            Review(
                candidate_id=candidate_id,
                decision=decision,
                annotator="ana" if number % 3 else "ben",
                created_at=created + timedelta(hours=1),
            )
        )
        ids.append(candidate_id)
    return ids


class BagOfWordsEmbedder:
    """A stand-in for the sentence model: hashed word counts, normalised (64 dimensions).

    Texts sharing words get similar vectors, so the measures and the classifier behave
    sensibly; the real model is exercised by the tests marked slow.
    """

    dimensions = 64

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate  # each batch waits for it when given (work caught mid-way)

    def encode(self, texts, normalize_embeddings=True, convert_to_numpy=True):
        if self.gate is not None:
            assert self.gate.wait(60), "the test never let the embedding go on"
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.encode()) % self.dimensions] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def held_embedder(monkeypatch) -> threading.Event:
    """Install the stand-in as the sentence model, every batch held until the returned
    event is set: the test sees the page while the embedding is under way."""
    from seedbed.insights import embeddings

    gate = threading.Event()
    model = BagOfWordsEmbedder(gate)
    monkeypatch.setattr(embeddings, "load_embedder", lambda: model)
    return gate
