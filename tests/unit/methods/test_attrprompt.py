"""AttrPrompt: attribute sampling (random, grid, coverage), the prompt, a run's stages."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from seedbed.methods import METHODS, attrprompt
from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    GenerationParams,
    Project,
    ProjectKind,
    SeedTask,
)
from tests.method_driver import accepted_candidate, by_stage, drive, make_context, prompt_of


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


def test_similar_labels_add_the_papers_relevant_and_irrelevant_requirement() -> None:
    [message] = attrprompt.build_messages(
        "news article", "business", {"length": "50"}, unlike=["politics", "world"]
    )
    assert message.content == (
        'Write one news article whose topic is "business". '
        "It must meet every requirement below:\n"
        "1. Length: 50 words.\n"
        '2. Relevant to "business" and irrelevant to "politics" and "world".\n'
        "Reply with the news article only, without a title or any comment."
    )


def test_a_plan_asks_each_label_to_stay_clear_of_its_stored_similar_labels() -> None:
    project = Project(
        name="News",
        kind=ProjectKind.CLASSIFICATION,
        labels=["business", "politics", "sports"],
        similar_labels={"business": ["politics"], "politics": ["business"]},
    )
    dimension = AttributeDimension(name="length", values=values(("50", 1)))
    context = make_context(project=project, dimensions=[dimension])
    method = METHODS["attrprompt"]
    requests = method.plan(context, 30, random.Random(3))
    by_label = {r.context["label"]: prompt_of(r) for r in requests}
    assert 'Relevant to "business" and irrelevant to "politics".' in by_label["business"]
    assert 'Relevant to "politics" and irrelevant to "business".' in by_label["politics"]
    assert "irrelevant" not in by_label["sports"]  # no similar label named
    plain = make_context(project, dimensions=[dimension], options={"irrelevant_to_similar": False})
    assert not any("irrelevant" in prompt_of(r) for r in method.plan(plain, 30, random.Random(3)))


def test_a_bare_length_gets_its_unit_and_a_full_stop_is_not_doubled() -> None:
    [message] = attrprompt.build_messages(
        "news article", "world", {"length": "100", "subtopic": "society.", "tone": "Wow!"}
    )
    assert "1. Length: 100 words.\n2. Subtopic: society.\n3. Tone: Wow!\n" in message.content
    [ranged] = attrprompt.build_messages("text", None, {"Length": "50-80"})
    assert "1. Length: 50-80 words." in ranged.content


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
        ("Sure!\nThe storm passed by noon.", "The storm passed by noon."),
        ("Sure, the storm passed by noon.", "Sure, the storm passed by noon."),
    ],
)
def test_parse_strips_preamble_and_quotes(reply: str, expected: str) -> None:
    assert attrprompt.parse(reply) == expected


# -- grid and coverage sampling ----------------------------------------------------------
GRID = [
    AttributeDimension(name="length", values=values(("short", 1), ("long", 1))),
    AttributeDimension(name="tone", values=values(("dry", 1), ("warm", 1), ("odd", 1))),
    AttributeDimension(
        name="subtopic",
        per_label={"sports": values(("tennis", 1), ("golf", 1))},
    ),
]


def as_key(pick: tuple[str | None, dict[str, str]]) -> tuple:
    label, attributes = pick
    return label, tuple(sorted(attributes.items()))


def test_grid_meets_every_combination_once_in_a_shuffled_order() -> None:
    labels = ["sports", "health"]
    total = attrprompt.combination_count(GRID, labels)
    assert total == 2 * 3 * 2 + 2 * 3
    picks = attrprompt.grid_combinations(GRID, labels, total, random.Random(2))
    expected = {
        ("sports", tuple(sorted({"length": a, "tone": b, "subtopic": c}.items())))
        for a, b, c in itertools.product(
            ["short", "long"], ["dry", "warm", "odd"], ["tennis", "golf"]
        )
    }
    expected |= {
        ("health", tuple(sorted({"length": a, "tone": b}.items())))
        for a, b in itertools.product(["short", "long"], ["dry", "warm", "odd"])
    }
    assert {as_key(p) for p in picks} == expected and len(picks) == total
    ordered = attrprompt.grid_combinations(GRID, labels, total, random.Random(3))
    assert [as_key(p) for p in picks] != [as_key(p) for p in ordered]  # shuffled per seed
    assert list(picks[0][1]) == ["length", "tone", "subtopic"]  # dimensions keep their order


def test_grid_starts_a_new_pass_when_asked_for_more() -> None:
    picks = attrprompt.grid_combinations(GRID[:1], [None], 5, random.Random(0))
    keys = [as_key(p) for p in picks]
    assert len(set(keys[:2])) == 2 and len(set(keys[2:4])) == 2 and len(keys) == 5


def test_grid_of_millions_is_not_built_in_memory() -> None:
    big = [
        AttributeDimension(name=f"d{i}", values=values(*[(str(v), 1) for v in range(20)]))
        for i in range(6)
    ]
    picks = attrprompt.grid_combinations(big, [None], 3, random.Random(0))
    assert attrprompt.combination_count(big, []) == 20**6
    assert len({as_key(p) for p in picks}) == 3


def test_coverage_prefers_what_the_accepted_data_lacks() -> None:
    length = [AttributeDimension(name="length", values=values(("short", 1), ("long", 1)))]
    accepted = [("sports", {"length": "short"})] * 5 + [("health", {"length": "short"})] * 5
    picks = attrprompt.coverage_combinations(
        length, ["sports", "health"], 4, random.Random(1), accepted, draws=16
    )
    # The missing combinations first, then the least covered label's.
    assert sorted(as_key(p) for p in picks[:2]) == [
        ("health", (("length", "long"),)),
        ("sports", (("length", "long"),)),
    ]
    assert {p[1]["length"] for p in picks} == {"long"}


def test_coverage_spreads_over_the_grid_before_repeating() -> None:
    labels = ["sports", "health", "politics"]
    total = attrprompt.combination_count(GRID, labels)
    picks = attrprompt.coverage_combinations(GRID, labels, 30, random.Random(5), [], draws=64)
    assert len({as_key(p) for p in picks[:total]}) == total == 24
    # Then the labels with fewer combinations come round again first.
    assert Counter(label for label, _ in picks[total:]) == {"health": 3, "politics": 3}


# -- a run ------------------------------------------------------------------------------
NEWS = Project(
    id=1,
    name="News",
    kind=ProjectKind.CLASSIFICATION,
    labels=["sports", "health"],
    item_name="news article",
)
METHOD = METHODS["attrprompt"]


def test_plan_cycles_labels_with_the_papers_sampling() -> None:
    context = make_context(NEWS, dimensions=GRID)
    requests = METHOD.plan(context, 3, random.Random(0))
    assert [r.key for r in requests] == ["item/0", "item/1", "item/2"]
    assert [r.context["label"] for r in requests] == ["sports", "health", "sports"]
    assert all(r.stage == "item" for r in requests)
    assert requests[0].params == GenerationParams(temperature=1.0, top_p=0.95, max_tokens=300)
    attributes = requests[0].context["attributes"]
    assert prompt_of(requests[0]) == (
        'Write one news article whose topic is "sports". It must meet every requirement below:\n'
        f"1. Length: {attributes['length']}.\n"
        f"2. Tone: {attributes['tone']}.\n"
        f"3. Subtopic: {attributes['subtopic']}.\n"
        "Reply with the news article only, without a title or any comment."
    )
    assert METHOD.plan(context, 3, random.Random(0)) == requests


def test_plan_follows_the_sampling_option() -> None:
    grid = METHOD.plan(
        make_context(NEWS, dimensions=GRID, options={"sampling": "grid"}), 18, random.Random(0)
    )
    assert len({(r.context["label"], str(r.context["attributes"])) for r in grid}) == 18
    only = make_context(NEWS, dimensions=GRID, options={"labels": ["health"]})
    assert {r.context["label"] for r in METHOD.plan(only, 4, random.Random(0))} == {"health"}


def test_coverage_counts_the_accepted_candidates() -> None:
    length = [AttributeDimension(name="length", values=values(("short", 1), ("long", 1)))]
    accepted = [
        accepted_candidate(
            i,
            content={"text": "t", "label": label},
            label=label,
            attributes={"length": "short"},
            method="attrprompt",
        )
        for i, label in enumerate(["sports", "health"])
    ]
    context = make_context(
        NEWS, dimensions=length, accepted=accepted, options={"sampling": "coverage"}
    )
    requests = METHOD.plan(context, 2, random.Random(0))
    assert [r.context["attributes"] for r in requests] == [{"length": "long"}] * 2


def test_a_classification_reply_becomes_a_labelled_draft() -> None:
    context = make_context(NEWS, dimensions=GRID)
    reply = 'Sure! Here is the article:\n\n"Lagos FC won 2-1 on Sunday."'
    run = drive(METHOD, context, lambda r: reply, n=2)
    assert run.stages() == ["item", "item"]
    (request, draft), _ = run.drafts
    assert draft.content == {"text": "Lagos FC won 2-1 on Sunday.", "label": "sports"}
    assert draft.label == "sports"
    assert draft.attributes == request.context["attributes"]
    assert [(c.name, c.passed) for c in draft.checks] == [("refusal", True)]


def test_a_refusal_is_flagged_and_an_empty_reply_explained() -> None:
    context = make_context(NEWS, dimensions=GRID)
    [request] = METHOD.plan(context, 1, random.Random(0))
    outcome = METHOD.read(context, request, "I'm sorry, but I can't write that article.")
    [refusal] = outcome.drafts[0].checks
    assert (refusal.passed, refusal.detail) == (False, "contains 'I'm sorry'")
    assert METHOD.read(context, request, "  ").error == "The reply was empty."
    assert METHOD.read(context, request, "Sure! Here it is:").error == "The reply was empty."


TASKS = Project(id=2, name="Tasks")
STYLE = [AttributeDimension(name="domain", values=values(("cooking", 1)))]


def test_an_instruction_project_checks_then_answers_each_instruction() -> None:
    context = make_context(
        TASKS,
        [
            SeedTask(
                instruction="Plan a dinner menu for four people.",
                instances=[{"output": "Soup, fish, cake."}],
            )
        ],
        STYLE,
    )
    answers = by_stage(
        item="Write a recipe for a quick tomato soup.", answer="Chop, simmer, blend."
    )
    run = drive(METHOD, context, answers, n=1)
    assert run.stages() == ["item", "answer"]
    [(request, draft)] = run.drafts
    assert request.key == "item/0/answer"
    assert draft.content == {
        "instruction": "Write a recipe for a quick tomato soup.",
        "input": "",
        "output": "Chop, simmer, blend.",
    }
    assert draft.attributes == {"domain": "cooking"}
    assert [c.name for c in draft.checks] == [
        "novelty",
        "length",
        "blocklist",
        "format",
        "refusal",
    ]
    assert prompt_of(run.requests[1]) == "Write a recipe for a quick tomato soup."


def test_a_refused_answer_fails_the_one_refusal_check() -> None:
    context = make_context(TASKS, dimensions=STYLE)
    answers = by_stage(
        item="Write a recipe for a quick tomato soup.",
        answer="As an AI language model, I cannot cook.",
    )
    [(_, draft)] = drive(METHOD, context, answers, n=1).drafts
    [refusal] = [c for c in draft.checks if c.name == "refusal"]
    assert (refusal.passed, refusal.detail) == (False, "contains 'As an AI language model'")


def test_an_instruction_that_fails_a_check_is_kept_unanswered() -> None:
    context = make_context(TASKS, dimensions=STYLE)
    run = drive(METHOD, context, by_stage(item="Draw a picture of a cake."), n=1)
    assert run.stages() == ["item"]
    [(_, draft)] = run.drafts
    assert draft.content["output"] == ""
    assert [c.name for c in draft.checks if not c.passed] == ["blocklist"]


def test_unavailable_without_values_or_with_bad_options() -> None:
    assert "attribute dimensions" in METHOD.unavailable(make_context(NEWS))
    assert METHOD.unavailable(make_context(NEWS, dimensions=GRID)) is None
    bad = make_context(NEWS, dimensions=GRID, options={"sampling": "everything"})
    assert "sampling: Input should be 'random', 'grid' or 'coverage'" in METHOD.unavailable(bad)
    unknown = make_context(NEWS, dimensions=GRID, options={"labels": ["weather"]})
    assert METHOD.unavailable(unknown).startswith("Unknown label(s): weather.")


def test_instructions_of_one_run_are_compared_with_each_other() -> None:
    # Both items are read before either is answered: the first joins the pool at once.
    context = make_context(TASKS, dimensions=STYLE)
    answers = by_stage(item="Write a recipe for a quick tomato soup.", answer="Chop, simmer.")
    run = drive(METHOD, context, answers, n=2)
    assert run.stages() == ["item", "item", "answer"]
    [(_, answered), (_, copy)] = sorted(run.drafts, key=lambda pair: pair[0].stage)
    assert answered.content["output"] == "Chop, simmer."
    novelty = next(c for c in copy.checks if c.name == "novelty")
    assert (novelty.passed, novelty.score) == (False, 1.0)
