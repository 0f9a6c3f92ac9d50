"""How long an attributed item may be: max_tokens sized from its requested length.

AttrPrompt's length attribute asks for "about 150 words" or "2-3 paragraphs"; a
fixed 300 max tokens cuts the long ones. The item's max_tokens is raised to the
words asked for, in tokens, with a margin (AttrPrompt's `length_margin` option).
"""

from __future__ import annotations

import math
import re

from seedbed.models import GenerationParams

# An English word is about 1.3 tokens in GPT-style tokenizers; rounded up.
TOKENS_PER_WORD = 1.4
LENGTH_MARGIN = 1.5
WORDS_PER_UNIT = {"word": 1, "sentence": 25, "paragraph": 120, "page": 500}
# "about 150 words", "100-200 words", "2 to 3 paragraphs": the larger number counts.
_AMOUNT = re.compile(
    r"(\d+)\s*(?:(?:-|–|to)\s*(\d+)\s*)?(word|sentence|paragraph|page)s?\b", re.IGNORECASE
)


_BARE_AMOUNT = re.compile(r"^\d+(?:\s*(?:-|–|to)\s*\d+)?$")


def requirement(name: str, value: str) -> str:
    """One numbered requirement of an AttrPrompt prompt: "Length: 100 words.".

    A bare number as a length gets its unit (words), and a value that already ends
    a sentence gets no second full stop ("society." does not become "society..").
    """
    value = value.strip()
    if "length" in name.lower() and _BARE_AMOUNT.match(value):
        value += " words"
    end = "" if value.endswith((".", "!", "?")) else "."
    return f"{name[:1].upper()}{name[1:]}: {value}{end}"


def requested_words(attributes: dict[str, str]) -> int | None:
    """The most words an item's length attribute asks for, None when it names no amount."""
    for name, value in attributes.items():
        if "length" in name.lower() and (match := _AMOUNT.search(value)):
            most = int(match.group(2) or match.group(1))
            return most * WORDS_PER_UNIT[match.group(3).lower()]
    return None


def item_params(
    params: GenerationParams, attributes: dict[str, str], margin: float
) -> GenerationParams:
    """`params` with max_tokens raised to fit the requested length, so long texts are not cut.

    The stage's max_tokens stays a floor: a short length never lowers it."""
    words = requested_words(attributes)
    if words is None or not margin:
        return params
    sized = min(math.ceil(words * TOKENS_PER_WORD * margin), 32_768)
    return params if sized <= params.max_tokens else params.model_copy(update={"max_tokens": sized})
