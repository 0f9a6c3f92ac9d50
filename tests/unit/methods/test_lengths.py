"""An attributed item's max tokens follow the length it asks for, so long texts are not cut."""

from __future__ import annotations

from seedbed.methods.attrprompt import AttrPromptOptions
from seedbed.methods.lengths import item_params, requested_words
from seedbed.models import GenerationParams


def test_length_sizing_reads_words_ranges_and_paragraphs_and_keeps_the_floor() -> None:
    assert requested_words({"length": "about 150 words"}) == 150
    assert requested_words({"Length": "100-200 words"}) == 200
    assert requested_words({"article length": "2 to 3 paragraphs"}) == 360
    assert requested_words({"length": "short"}) is None
    assert requested_words({"style": "100 words of jargon"}) is None
    floor = GenerationParams(max_tokens=300)
    assert item_params(floor, {"length": "about 30 words"}, 1.5).max_tokens == 300
    assert item_params(floor, {"length": "about 200 words"}, 1.5).max_tokens == 420
    assert item_params(floor, {"length": "about 200 words"}, 0).max_tokens == 300


def test_every_unit_and_the_default_margin_are_pinned() -> None:
    assert requested_words({"length": "1 page"}) == 500
    assert requested_words({"length": "3 sentences"}) == 75
    assert requested_words({"length": "12 words"}) == 12
    assert AttrPromptOptions().length_margin == 1.5
    # The sizing the plan uses: 400 words x 1.4 tokens x 1.5.
    params = AttrPromptOptions().params["item"]
    margin = AttrPromptOptions().length_margin
    assert item_params(params, {"length": "about 400 words"}, margin).max_tokens == 840
