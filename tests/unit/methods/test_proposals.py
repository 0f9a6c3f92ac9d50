"""LLM proposals for attributes (prompts and parsing) and the similar-label check."""

from __future__ import annotations

import pytest

from seedbed.attributes import (
    ValueFlag,
    add_dimensions,
    add_values,
    ambiguity_questions,
    model_value_flags,
    remove_values,
    shared_value_flags,
)
from seedbed.errors import InputError
from seedbed.methods import proposals
from seedbed.models import AttributeDimension, AttributeValue, Project, ProjectKind

NEWS = Project(
    name="News",
    kind=ProjectKind.CLASSIFICATION,
    labels=["business", "politics", "sports"],
    item_name="news article",
    description="Short fictional news.",
)
TASKS = Project(name="Tasks")


def text(messages) -> str:
    [message] = messages
    assert message.role == "user"
    return message.content


# -- prompts ----------------------------------------------------------------------------
def test_dimension_prompt_is_exact() -> None:
    assert text(proposals.dimension_messages(NEWS, 4)) == (
        "We are building a dataset of news articles labelled business, politics, sports. "
        "Short fictional news.\n"
        "List 4 attributes along which such news articles can differ, such as length, style "
        "or setting. The label is not one of them. Write a numbered list, one attribute per "
        'line, as "name: a short description", and nothing else.'
    )
    assert text(proposals.dimension_messages(TASKS, 3)) == (
        "We are building a dataset of task instructions for an AI assistant.\n"
        "List 3 attributes along which such task instructions for an AI assistant can differ, "
        "such as length, style or setting. The task itself is not one of them. Write a numbered "
        'list, one attribute per line, as "name: a short description", and nothing else.'
    )


def test_value_prompts_are_exact() -> None:
    assert text(proposals.value_messages(NEWS, "subtopic", "what it is about", "sports", 8)) == (
        "We are building a dataset of news articles. Short fictional news.\n"
        'List 8 diverse values of the attribute "subtopic" (what it is about) for news '
        'articles whose label is "sports". Make the values as different from each other as '
        "possible. Write a numbered list, one value per line, with no explanations."
    )
    assert text(proposals.value_messages(NEWS, "location", count=3)) == (
        "We are building a dataset of news articles. Short fictional news.\n"
        'List 3 diverse values of the attribute "location" for news articles. Make the values '
        "as different from each other as possible. Write a numbered list, one value per line, "
        "with no explanations."
    )


def test_similar_label_prompt_is_exact() -> None:
    assert text(proposals.similar_label_messages(NEWS, "sports")) == (
        "These are the labels of a dataset of news articles: business, politics, sports.\n"
        'Which of them are most similar to "sports", that is, most easily confused with it? '
        "Name up to 5 of them from the list, most similar first, as a numbered list with no "
        'explanations. Do not name "sports" itself.'
    )


def test_ambiguity_prompt_is_exact() -> None:
    messages = proposals.ambiguity_messages(
        NEWS, "business", ["politics", "sports"], "subtopic", ["trade tariffs", "startups"]
    )
    assert text(messages) == (
        'In a dataset of news articles, the label "business" is easily confused with '
        '"politics", "sports". Below are values of the attribute "subtopic" meant for '
        '"business" only.\n'
        "1. trade tariffs\n"
        "2. startups\n"
        "Which of these values would fit one of the other labels as well as or better than "
        '"business"? Answer with their numbers separated by commas, or with "none".'
    )


# -- parsing ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "Sure! Here are some attributes:\n\n1. **Tone**: how formal it is\n"
            "2. Audience: who reads it.\n3. tone: again",
            [("Tone", "how formal it is"), ("Audience", "who reads it")],
        ),
        (
            "- Length\n- Setting: where it happens",
            [("Length", ""), ("Setting", "where it happens")],
        ),
        ("", []),
        ("I cannot help with this request because it is unclear to me.", []),
    ],
)
def test_parse_dimensions(reply: str, expected: list[tuple[str, str]]) -> None:
    assert proposals.parse_dimensions(reply) == expected


def test_parse_dimensions_drops_labels_and_repeats() -> None:
    # SmolLM2-135M's reply to the dimension prompt of the news project, shortened.
    reply = (
        " 1. Business: \n- Length: 100\n- Style: Business\n- Setting: Business\n"
        "- Format: Business\n- Format: Business\n- Format: Business\n-"
    )
    assert proposals.parse_dimensions(reply, NEWS.labels) == [
        ("Length", "100"),
        ("Style", "Business"),
        ("Setting", "Business"),
        ("Format", "Business"),
    ]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1. Curling\n2. Tennis - a racket sport\n3. curling", ["Curling", "Tennis"]),
        (
            'Here you go:\n1) "Golf."\n2) **Judo**\n3) 10:30 kick-off',
            ["Golf", "Judo", "10:30 kick-off"],
        ),
        ("Tennis: a racket sport played by two or four people", ["Tennis"]),
        ("1. mid-table football clubs", ["mid-table football clubs"]),
        ("", []),
    ],
)
def test_parse_values(reply: str, expected: list[str]) -> None:
    assert proposals.parse_values(reply) == expected


def test_parse_values_keeps_at_most_count() -> None:
    assert proposals.parse_values("1. a1\n2. b2\n3. c3", 2) == ["a1", "b2"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1. Politics\n2. sports\n3. Weather", ["politics", "sports"]),
        ("Politics, business", ["politics"]),  # the label itself is never similar to itself
        ('- "Sports"\n- Politics.', ["sports", "politics"]),
        ("None of them.", []),
        ("", []),
    ],
)
def test_parse_similar_labels(reply: str, expected: list[str]) -> None:
    assert proposals.parse_similar_labels(reply, NEWS.labels, "business") == expected


def test_parse_similar_labels_names_at_most_count() -> None:
    labels = [f"l{i}" for i in range(10)]
    reply = "\n".join(f"{i}. l{i}" for i in range(1, 10))
    assert proposals.parse_similar_labels(reply, labels, "l0") == ["l1", "l2", "l3", "l4", "l5"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("2", [1]),
        ("1, 3", [0, 2]),
        # SmolLM2-135M echoes the list, then answers.
        ("1. trade tariffs\n2. startup funding\n3. elections\n\nThe answer is 3.", [2]),
        ("1. trade tariffs\n2. startup funding\n3. elections", None),
        ("Values 3 and 1 fit politics; also 3.", [2, 0]),
        ("None", []),
        ("none of them", []),
        ("7", None),  # out of range: unreadable, not "none"
        ("I am not sure.", None),
        ("", None),
    ],
)
def test_parse_ambiguous(reply: str, expected: list[int] | None) -> None:
    values = ["trade tariffs", "startup funding", "elections"]
    assert proposals.parse_ambiguous(reply, values) == expected


# -- applying proposals and the check ---------------------------------------------------
def values(*names: str) -> list[AttributeValue]:
    return [AttributeValue(value=name) for name in names]


SUBTOPIC = AttributeDimension(
    name="subtopic",
    per_label={
        "business": values("trade tariffs", "startups"),
        "politics": values("Trade  Tariffs", "elections"),
        "sports": values("startups"),
    },
)
STYLE = AttributeDimension(name="style", values=values("brief"))


def test_add_dimensions_skips_names_already_there() -> None:
    result = add_dimensions([STYLE], [("Style", "again"), ("tone", "how formal"), (" ", "")])
    assert [(d.name, d.description) for d in result] == [("style", ""), ("tone", "how formal")]


def test_add_values_for_every_label_or_one() -> None:
    general = add_values([STYLE], "style", None, ["Brief", "feature", "feature"])
    assert [v.value for v in general[0].values] == ["brief", "feature"]
    sports = add_values([SUBTOPIC], "subtopic", "sports", ["golf"])
    assert [v.value for v in sports[0].per_label["sports"]] == ["startups", "golf"]
    health = add_values([SUBTOPIC], "subtopic", "health", ["diet"])
    assert [v.value for v in health[0].per_label["health"]] == ["diet"]
    assert SUBTOPIC.per_label.get("health") is None  # the input is not changed
    with pytest.raises(InputError, match="no dimension named 'length'"):
        add_values([STYLE], "length", None, ["short"])


def test_values_a_similar_label_lists_too_are_flagged() -> None:
    similar = {"business": ["politics"], "politics": ["sports"], "sports": ["business"]}
    flags = shared_value_flags([SUBTOPIC, STYLE], similar)
    assert flags == [
        ValueFlag(
            dimension="subtopic",
            label="business",
            value="trade tariffs",
            reason="also listed for 'politics'",
        ),
        ValueFlag(
            dimension="subtopic",
            label="sports",
            value="startups",
            reason="also listed for 'business'",
        ),
    ]


def test_removing_flagged_values_keeps_the_rest() -> None:
    flags = [ValueFlag(dimension="subtopic", label="sports", value="startups", reason="r")]
    [subtopic, style] = remove_values([SUBTOPIC, STYLE], flags)
    assert "sports" not in subtopic.per_label  # its only value went
    assert [v.value for v in subtopic.per_label["business"]] == ["trade tariffs", "startups"]
    assert style == STYLE


def test_model_flags_and_questions() -> None:
    similar = {"business": ["politics", "sports"]}
    assert ambiguity_questions([SUBTOPIC, STYLE], similar) == [
        ("subtopic", "business", ["trade tariffs", "startups"])
    ]
    flags = model_value_flags("subtopic", "business", ["a", "b"], [1, 5], ["politics", "sports"])
    assert flags == [
        ValueFlag(
            dimension="subtopic",
            label="business",
            value="b",
            reason="the model says it fits 'politics' or 'sports'",
        ),
    ]


@pytest.mark.slow
def test_the_embedded_model_gives_proposals_the_parsers_read(embedded_backend) -> None:
    requests = [
        proposals.dimension_messages(NEWS, 5),
        proposals.value_messages(NEWS, "subtopic", "what the article is about", "sports", 5),
        proposals.similar_label_messages(NEWS, "business"),
    ]
    params = proposals.CHECK_PARAMS.model_copy(update={"max_tokens": 80})
    replies = [result.text for result in embedded_backend.generate(requests, params)]
    dimensions = proposals.parse_dimensions(replies[0], NEWS.labels)
    values = proposals.parse_values(replies[1])
    similar = proposals.parse_similar_labels(replies[2], NEWS.labels, "business")
    # A 135M model proposes weak things, but in a shape the page can offer for picking.
    assert dimensions and all(name and name.casefold() not in NEWS.labels for name, _ in dimensions)
    assert values and all(isinstance(value, str) and value for value in values)
    assert set(similar) <= {"politics", "sports"}
