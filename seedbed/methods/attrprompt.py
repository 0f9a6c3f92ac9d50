"""AttrPrompt (Yu et al., 2023): prompts that name a sampled value for each attribute.

Attributes such as length, style, subtopic and location are sampled per
request (randomly, with the user's weights), so the data varies along axes the
user chose instead of the model's favourite defaults.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence

from seedbed.methods import user_message
from seedbed.models import AttributeDimension, GenerationParams, Message, Project, ProjectKind

METHOD = "attrprompt"
DEFAULT_PARAMS = GenerationParams(temperature=1.0, top_p=0.95, max_tokens=300)

_PREAMBLE = re.compile(
    r"^(sure|certainly|of course|okay|ok|here(?:'s| is| are))\b[^\n]*:\s*(?:\n|$)", re.IGNORECASE
)


def item_noun(project: Project) -> str:
    """What one generated item is called in the prompt."""
    if project.item_name:
        return project.item_name
    if project.kind == ProjectKind.CLASSIFICATION:
        return "text"
    return "task instruction for an AI assistant"


def sample_attributes(
    dimensions: Sequence[AttributeDimension], label: str | None, rng: random.Random
) -> dict[str, str]:
    """One value per dimension, drawn with the user's weights (per-label values win)."""
    chosen: dict[str, str] = {}
    for dimension in dimensions:
        values = dimension.values_for(label)
        if values:
            pick = rng.choices(values, weights=[v.weight for v in values], k=1)[0]
            chosen[dimension.name] = pick.value
    return chosen


def combination_count(dimensions: Sequence[AttributeDimension], labels: Sequence[str]) -> int:
    """How many distinct attribute combinations the dimensions make, over all labels."""
    total = 0
    for label in labels or [None]:
        sizes = [len(d.values_for(label)) for d in dimensions if d.values_for(label)]
        total += math.prod(sizes) if sizes else 0
    return total


def build_messages(item: str, label: str | None, attributes: dict[str, str]) -> list[Message]:
    """A request for one item with `attributes` listed as numbered requirements."""
    return user_message("attrprompt", item=item, label=label, attributes=attributes)


def parse(reply: str) -> str:
    """The generated item without a chatty preamble or wrapping quotes ('' if nothing)."""
    text = _PREAMBLE.sub("", reply.strip(), count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text
