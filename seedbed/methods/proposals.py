"""Ask the LLM for attribute dimensions and values, as AttrPrompt does; pure: prompts and parsing.

AttrPrompt's authors ask ChatGPT for the attribute dimensions of a task, then for
diverse values of each, in general or for one label (subtopics); then, for each
label, for its most similar labels, and drop the label's values that fit a
similar label too, so that generated texts stay true to their label. Here each
step is a prompt and a parser: the page sends the prompt through the chosen
backend and shows what comes back for the user to pick and edit; nothing is
saved without them. Parsers return [] (or None) for replies they cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from seedbed.methods.common import item_noun, list_items, normalise, plural
from seedbed.methods.prompts import user_message
from seedbed.models import MAX_SIMILAR, GenerationParams, Message, Project

# Proposals want variety; the checks want a steady answer.
PROPOSAL_PARAMS = GenerationParams(temperature=0.7, top_p=0.95, max_tokens=400)
CHECK_PARAMS = GenerationParams(temperature=0.0, top_p=1.0, max_tokens=120)

_MARKUP = "*_`\"'“”‘’ "
# "Tennis - a racket sport": the explanation after a dash goes (not a hyphen in a word).
_EXPLANATION = re.compile(r"\s+[-–—]\s+|:\s+")


def _clean(text: str) -> str:
    return normalise(text).strip(_MARKUP).rstrip(".;,").strip(_MARKUP)


def dimension_messages(project: Project, count: int = 5) -> list[Message]:
    """Ask for `count` attribute dimensions of the project's items."""
    return user_message(
        "propose_dimensions",
        items=plural(item_noun(project)),
        labels=project.labels,
        description=project.description.strip(),
        count=count,
    )


def parse_dimensions(reply: str, labels: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(name, description) pairs from a list of "name: description" lines, names once each.

    A name that is one of the project's `labels` is not a dimension (small models
    like to answer with the labels).
    """
    found: dict[str, tuple[str, str]] = {label.casefold(): ("", "") for label in labels}
    for item in list_items(reply):
        name, _, description = item.partition(":")
        name = _clean(name)
        if name and len(name.split()) <= 6 and name.casefold() not in found:
            found[name.casefold()] = (name, _clean(description))
    return [pair for pair in found.values() if pair[0]]


def value_messages(
    project: Project,
    dimension: str,
    meaning: str = "",
    label: str | None = None,
    count: int = 10,
) -> list[Message]:
    """Ask for `count` diverse values of `dimension`, for every item or for one label."""
    return user_message(
        "propose_values",
        items=plural(item_noun(project)),
        description=project.description.strip(),
        dimension=dimension,
        meaning=meaning.strip(),
        label=label,
        count=count,
    )


def parse_values(reply: str, count: int | None = None) -> list[str]:
    """Values from a list, without markup or a trailing explanation, each once."""
    values: dict[str, str] = {}
    for item in list_items(reply):
        head = _EXPLANATION.split(item, maxsplit=1)[0]
        value = _clean(head if len(head.split()) <= 8 else item)
        if value and value.lower() not in values:
            values[value.lower()] = value
    return list(values.values())[:count]


def similar_label_messages(project: Project, label: str, count: int = MAX_SIMILAR) -> list[Message]:
    """Ask which of the project's labels are most easily confused with `label`."""
    return user_message(
        "propose_similar_labels",
        items=plural(item_noun(project)),
        labels=project.labels,
        label=label,
        count=count,
    )


def parse_similar_labels(
    reply: str, labels: Sequence[str], label: str, count: int = MAX_SIMILAR
) -> list[str]:
    """The project labels the reply names (not `label` itself), most similar first."""
    by_name = {_clean(name).lower(): name for name in labels if name != label}
    named: list[str] = []
    items = list_items(reply)
    if len(items) == 1 and "," in items[0]:
        items = items[0].split(",")  # "politics, business" on one line
    for item in items:
        match = by_name.get(_clean(item).lower())
        if match and match not in named:
            named.append(match)
    return named[:count]


def ambiguity_messages(
    project: Project, label: str, similar: Sequence[str], dimension: str, values: Sequence[str]
) -> list[Message]:
    """Ask which of `label`'s values of `dimension` fit one of the similar labels too."""
    return user_message(
        "propose_ambiguous_values",
        items=plural(item_noun(project)),
        label=label,
        similar=list(similar),
        dimension=dimension,
        values=list(values),
    )


def parse_ambiguous(reply: str, values: Sequence[str]) -> list[int] | None:
    """0-based positions of the values the reply names; [] for "none"; None if unreadable.

    Lines that only repeat the numbered list of values are skipped: small models
    echo the list before (or instead of) answering.
    """
    echoes = {f"{n}. {_clean(value).lower()}" for n, value in enumerate(values, start=1)}
    kept = [line for line in reply.splitlines() if _echo_key(line) not in echoes]
    answer = "\n".join(kept)
    count = len(values)
    numbers = [int(n) - 1 for n in re.findall(r"\b\d+\b", answer) if 1 <= int(n) <= count]
    if numbers:
        return list(dict.fromkeys(numbers))
    if re.search(r"\bnone\b|\bno values?\b|\bnothing\b", answer, re.IGNORECASE):
        return []
    return None


def _echo_key(line: str) -> str:
    match = re.match(r"^\s*(\d+)\s*[.)]\s*(.*)$", line)
    return f"{match.group(1)}. {_clean(match.group(2)).lower()}" if match else ""
