"""De-duplication and the train/validation split of an export, both deterministic."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from seedbed.duplicates.minhash import MINHASH_THRESHOLD, minhash_duplicates
from seedbed.duplicates.semantic import SEMANTIC_THRESHOLD, semantic_duplicates

DedupMode = Literal["none", "exact", "near", "minhash", "semantic"]
NEAR_THRESHOLD = 90.0
# Each mode's default threshold (near: rapidfuzz ratio 0-100; minhash: Jaccard; semantic: cosine).
THRESHOLDS = {"near": NEAR_THRESHOLD, "minhash": MINHASH_THRESHOLD, "semantic": SEMANTIC_THRESHOLD}
Embed = Callable[[Sequence[str]], np.ndarray]


def normalise(text: str) -> str:
    """Case-folded, with every run of whitespace made one space: the key of exact duplicates."""
    return " ".join(text.casefold().split())


def deduplicate(
    items: Sequence[tuple[int, str]],
    mode: DedupMode = "exact",
    threshold: float | None = None,
    embed: Embed | None = None,
) -> tuple[list[int], dict[int, int]]:
    """The ids to keep, and for each dropped id the kept id it duplicates.

    `items` are (id, text) in the order to keep them (the first copy wins).
    "exact" compares normalised texts; every other mode drops exact duplicates first,
    then a text too similar to a kept one: "near" by rapidfuzz `ratio` (0-100,
    normalised Levenshtein similarity), "minhash" by Jaccard similarity of word
    3-grams, "semantic" by cosine of the sentence embeddings `embed` gives.
    `threshold` (at least it is a duplicate) defaults to the mode's THRESHOLDS entry.
    """
    if mode in ("minhash", "semantic"):
        return _similar(items, mode, THRESHOLDS[mode] if threshold is None else threshold, embed)
    threshold = NEAR_THRESHOLD if threshold is None else threshold
    kept: list[int] = []
    dropped: dict[int, int] = {}
    if mode == "none":
        return [item_id for item_id, _ in items], dropped
    first_of: dict[str, int] = {}
    kept_texts: list[str] = []
    for item_id, text in items:
        key = normalise(text)
        if key in first_of:
            dropped[item_id] = first_of[key]
            continue
        if mode == "near" and kept_texts:
            match = process.extractOne(key, kept_texts, scorer=fuzz.ratio, score_cutoff=threshold)
            if match is not None:
                dropped[item_id] = kept[match[2]]
                continue
        first_of[key] = item_id
        kept.append(item_id)
        kept_texts.append(key)
    return kept, dropped


def _similar(
    items: Sequence[tuple[int, str]], mode: DedupMode, threshold: float, embed: Embed | None
) -> tuple[list[int], dict[int, int]]:
    """Exact duplicates out, then MinHash or semantic duplicates among the rest."""
    distinct, dropped = deduplicate(items, "exact")
    text_of = dict(items)
    texts = [text_of[item_id] for item_id in distinct]
    if mode == "minhash":
        found = minhash_duplicates(texts, threshold)
    else:
        if embed is None:
            raise ValueError("Semantic de-duplication needs an embedding function.")
        found = semantic_duplicates(embed(texts), threshold)
    kept = []
    for item_id, duplicate_of in zip(distinct, found, strict=True):
        if duplicate_of is None:
            kept.append(item_id)
        else:
            dropped[item_id] = distinct[duplicate_of]
    return kept, dropped


def _validation_quotas(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Per-group validation counts summing to `total` where possible (largest remainder).

    A group keeps at least one item for training, so a label with one item is
    never held out.
    """
    n = sum(sizes.values())
    exact = {group: size * total / n for group, size in sizes.items()}
    quotas = {group: min(math.floor(exact[group]), max(sizes[group] - 1, 0)) for group in sizes}
    by_remainder = sorted(sizes, key=lambda group: (-(exact[group] - quotas[group]), group))
    missing = total - sum(quotas.values())
    while missing > 0:
        open_groups = [g for g in by_remainder if quotas[g] < sizes[g] - 1]
        if not open_groups:
            break
        for group in open_groups[:missing]:
            quotas[group] += 1
        missing = total - sum(quotas.values())
    return quotas


def stratified_split(
    items: Sequence[tuple[int, str | None]], validation_fraction: float, seed: int = 0
) -> tuple[list[int], list[int]]:
    """(train ids, validation ids), each in id order, stratified by label.

    Each label contributes its share of the validation set (exact up to
    rounding); the same items, fraction and seed always give the same split.
    With a fraction above 0 and at least two items, validation gets at least one.
    """
    if not 0 <= validation_fraction < 1:
        raise ValueError("The validation fraction must be at least 0 and below 1.")
    ids = [item_id for item_id, _ in items]
    if validation_fraction == 0 or len(ids) < 2:
        return sorted(ids), []
    groups: dict[str, list[int]] = defaultdict(list)
    for item_id, label in items:
        groups[label or ""].append(item_id)
    total = max(1, round(len(ids) * validation_fraction))
    quotas = _validation_quotas({g: len(members) for g, members in groups.items()}, total)
    rng = random.Random(seed)
    validation: set[int] = set()
    for group in sorted(groups):
        members = sorted(groups[group])
        rng.shuffle(members)
        validation.update(members[: quotas[group]])
    train = sorted(item_id for item_id in ids if item_id not in validation)
    return train, sorted(validation)
