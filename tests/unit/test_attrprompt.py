"""AttrPrompt: weighted attribute sampling, the prompt, and reading the reply."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from seedbed.methods import attrprompt
from seedbed.models import AttributeDimension, AttributeValue, Project, ProjectKind


def values(*pairs: tuple[str, float]) -> list[AttributeValue]:
    return [AttributeValue(value=value, weight=weight) for value, weight in pairs]


def test_prompt_is_exact() -> None:
    [message] = attrprompt.build_messages(
        "news article",
        "sports",
        {"length": "about 50 words", "US state": "Ohio"},
    )
    assert message.role == "user"
    assert message.content == (
        'Write one news article whose topic is "sports". '
        "It must meet every requirement below:\n"
        "1. Length: about 50 words.\n"
        "2. US state: Ohio.\n"
        "Reply with the news article only, without a title or any comment."
    )


def test_prompt_without_label_or_attributes_makes_sense() -> None:
    [message] = attrprompt.build_messages("text", None, {})
    assert message.content == (
        "Write one text.\nReply with the text only, without a title or any comment."
    )


def test_item_noun() -> None:
    assert attrprompt.item_noun(Project(name="p", item_name="recipe")) == "recipe"
    news = Project(name="n", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    assert attrprompt.item_noun(news) == "text"
    assert "instruction" in attrprompt.item_noun(Project(name="i"))


def test_sampling_follows_the_weights() -> None:
    dimension = AttributeDimension(name="size", values=values(("rare", 1), ("common", 1000)))
    rng = random.Random(7)
    counts = Counter(
        attrprompt.sample_attributes([dimension], None, rng)["size"] for _ in range(2000)
    )
    assert counts["common"] >= 1980
    assert counts["rare"] <= 20


def test_sampling_with_equal_weights_uses_every_value() -> None:
    dimension = AttributeDimension(name="tone", values=values(("dry", 1), ("warm", 1), ("odd", 1)))
    rng = random.Random(3)
    counts = Counter(
        attrprompt.sample_attributes([dimension], None, rng)["tone"] for _ in range(900)
    )
    assert set(counts) == {"dry", "warm", "odd"}
    assert all(200 < count < 400 for count in counts.values())


def test_sampling_uses_per_label_values() -> None:
    dimensions = [
        AttributeDimension(name="length", values=values(("short", 1), ("long", 1))),
        AttributeDimension(
            name="subtopic",
            per_label={"sports": values(("tennis", 1), ("golf", 1))},
        ),
    ]
    rng = random.Random(1)
    for _ in range(50):
        sports = attrprompt.sample_attributes(dimensions, "sports", rng)
        assert list(sports) == ["length", "subtopic"]
        assert sports["subtopic"] in {"tennis", "golf"}
        # A label with no values of its own gets no subtopic requirement at all.
        health = attrprompt.sample_attributes(dimensions, "health", rng)
        assert list(health) == ["length"]


def test_sampling_is_deterministic_for_a_seed() -> None:
    dimensions = [AttributeDimension(name="n", values=values(*[(str(i), 1) for i in range(50)]))]
    first = [attrprompt.sample_attributes(dimensions, None, random.Random(5)) for _ in range(3)]
    assert first[0] == first[1] == first[2]


def test_combination_count() -> None:
    dimensions = [
        AttributeDimension(name="length", values=values(("a", 1), ("b", 1), ("c", 1))),
        AttributeDimension(name="style", values=values(("x", 1), ("y", 1))),
        AttributeDimension(
            name="subtopic",
            per_label={"sports": values(("tennis", 1), ("golf", 1), ("judo", 1), ("polo", 1))},
        ),
    ]
    # sports: 3 * 2 * 4; health has no subtopic: 3 * 2.
    assert attrprompt.combination_count(dimensions, ["sports", "health"]) == 24 + 6
    assert attrprompt.combination_count(dimensions, []) == 6
    assert attrprompt.combination_count([], ["sports"]) == 0


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("The council voted 7-2.", "The council voted 7-2."),
        (
            'Sure! Here is a news article about sports:\n\n"Lagos FC won 2-1 on Sunday."',
            "Lagos FC won 2-1 on Sunday.",
        ),
        (
            "Here's the article:\nMarkets fell.\nBanks led losses.",
            "Markets fell.\nBanks led losses.",
        ),
        ("Certainly, here it is:\n'Rain is expected.'", "Rain is expected."),
        ('  "Quoted text"  ', "Quoted text"),
        ("Okay so the match ended in a draw.", "Okay so the match ended in a draw."),
        ("", ""),
        ("Sure! Here is the text:\n", ""),
    ],
)
def test_parse_strips_preamble_and_quotes(reply: str, expected: str) -> None:
    assert attrprompt.parse(reply) == expected
