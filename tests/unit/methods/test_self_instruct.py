"""Self-Instruct: the prompts the model sees, how its replies are read, a run's three stages."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import METHODS, get_method, self_instruct
from seedbed.methods import self_instruct_instances as stage
from seedbed.methods.base import Request
from seedbed.models import (
    GenerationParams,
    Instance,
    Project,
    ProjectKind,
    SeedTask,
)
from tests.method_driver import accepted_candidate, by_stage, drive, make_context, prompt_of

SEEDS = [f"Seed instruction {i}." for i in range(10)]
MACHINE = [f"Machine instruction {i}." for i in range(5)]


def test_instruction_prompt_is_exact() -> None:
    [message] = self_instruct.build_messages(
        ["Write a haiku about rain.", "Sort these  numbers:\n 3, 1, 2.", "Fix the grammar:"]
    )
    assert message.role == "user"
    # One line each; a trailing colon goes, as in the paper, so the list reads as finished.
    assert message.content == (
        "Come up with a series of tasks:\n"
        "1. Write a haiku about rain.\n"
        "2. Sort these numbers: 3, 1, 2.\n"
        "3. Fix the grammar\n"
        "4."
    )


def test_sample_takes_six_seeds_and_two_machine_instructions() -> None:
    chosen = self_instruct.sample_prompt_instructions(SEEDS, MACHINE, random.Random(0))
    assert len(chosen) == 8
    assert len(set(chosen)) == 8
    assert sum(c in MACHINE for c in chosen) == 2
    assert sum(c in SEEDS for c in chosen) == 6


def test_sample_fills_with_seeds_when_there_is_no_machine_pool() -> None:
    chosen = self_instruct.sample_prompt_instructions(SEEDS, [], random.Random(0))
    assert len(chosen) == 8 and set(chosen) <= set(SEEDS)


@pytest.mark.parametrize(
    ("seeds", "machine", "expected"),
    [(3, 0, 3), (3, 1, 4), (3, 5, 5), (1, 1, 2)],
)
def test_sample_takes_fewer_from_a_small_pool(seeds: int, machine: int, expected: int) -> None:
    chosen = self_instruct.sample_prompt_instructions(
        SEEDS[:seeds], MACHINE[:machine], random.Random(0)
    )
    assert len(chosen) == expected
    assert sum(c in MACHINE for c in chosen) == min(machine, 2)


def test_sample_is_shuffled_but_deterministic_for_a_seed() -> None:
    runs = [
        self_instruct.sample_prompt_instructions(SEEDS, MACHINE, random.Random(seed))
        for seed in range(20)
    ]
    again = [
        self_instruct.sample_prompt_instructions(SEEDS, MACHINE, random.Random(seed))
        for seed in range(20)
    ]
    assert runs == again
    # Machine instructions do not always sit in the same slots.
    slots = {tuple(i for i, c in enumerate(run) if c in MACHINE) for run in runs}
    assert len(slots) > 1


def test_parse_continues_after_the_open_number() -> None:
    reply = (
        " Write a limerick about a cat.\n"
        "10. Translate 'good night' into Spanish.\n"
        "11. List two prime numbers."
    )
    assert self_instruct.parse(reply) == [
        "Write a limerick about a cat.",
        "Translate 'good night' into Spanish.",
        "List two prime numbers.",
    ]


def test_parse_reads_a_renumbered_list_after_a_preamble() -> None:
    reply = (
        "Sure! Here are some more tasks:\n\n"
        "1. Summarise the article.\n2) Give an antonym.\n3: Rhyme a word."
    )
    assert self_instruct.parse(reply) == [
        "Summarise the article.",
        "Give an antonym.",
        "Rhyme a word.",
    ]


def test_parse_reads_dash_numbering() -> None:
    assert self_instruct.parse("1 - Plan a picnic.\n2- Name a river.\n3 -Spell 'cat'.") == [
        "Plan a picnic.",
        "Name a river.",
        "Spell 'cat'.",
    ]


def test_parse_joins_multi_line_items() -> None:
    reply = "9. Write a short story\n   about a dragon who\n   loves tea.\n10. Name a fruit."
    assert self_instruct.parse(reply) == [
        "Write a short story about a dragon who loves tea.",
        "Name a fruit.",
    ]


def test_parse_drops_markdown_bold() -> None:
    reply = "9. **Pun maker**: write a pun about cheese.\n10. Compute 2**10 and 3**2."
    assert self_instruct.parse(reply) == [
        "Pun maker: write a pun about cheese.",
        "Compute 2**10 and 3**2.",
    ]


def test_parse_reads_a_small_models_rambling_reply() -> None:
    # SmolLM2-135M's reply to the demo project's first request, shortened.
    reply = (
        " Sure! Here's an example of how you can complete each task using our suggested "
        "instructions:\n\n1. **Classifying the Priority**:\n   - 1\n    I am classifying this "
        "product based on its price range.\n\n2. **Converting the Number to Roman Numerals:**\n"
        "   - 2020\n   - Romeo"
    )
    assert self_instruct.parse(reply) == [
        "Classifying the Priority: - 1 I am classifying this product based on its price range.",
        "Converting the Number to Roman Numerals: - 2020 - Romeo",
    ]


def test_parse_stops_at_task_16() -> None:
    reply = "14. Fourteen.\n15. Fifteen.\n16. Sixteen.\n17. Seventeen."
    assert self_instruct.parse(reply) == ["Fourteen.", "Fifteen."]


def test_parse_drops_duplicates_and_empty_items() -> None:
    reply = "9. Name a colour.\n10.\n11. Name   a colour.\n12. Name a shape."
    assert self_instruct.parse(reply) == ["Name a colour.", "Name a shape."]


@pytest.mark.parametrize("reply", ["", "   \n\n", "Here are more tasks:", "1.\n2.\n3)"])
def test_parse_finds_nothing_in_empty_or_garbage_replies(reply: str) -> None:
    assert self_instruct.parse(reply) == []


# -- classification identification and instance prompts ---------------------------------
def test_classification_prompt_is_exact() -> None:
    [message] = stage.classify_messages("  Is the  email spam?\n")
    assert message.content == (
        "Can the task below be treated as a classification task, one whose output is one of "
        "a small, fixed set of labels? Answer Yes or No.\n\n"
        "Task: Tell me whether the email is spam or not spam.\n"
        "Is it a classification task? Yes\n\n"
        "Task: Write a thank-you note to a neighbour who watered my plants.\n"
        "Is it a classification task? No\n\n"
        "Task: Decide if the second sentence follows from the first. "
        "Answer entailment, neutral or contradiction.\n"
        "Is it a classification task? Yes\n\n"
        "Task: Summarise the meeting notes in three bullet points.\n"
        "Is it a classification task? No\n\n"
        "Task: Which of the listed animals is a mammal?\n"
        "Is it a classification task? Yes\n\n"
        "Task: Translate the sentence into French.\n"
        "Is it a classification task? No\n\n"
        "Task: Rate how urgent the support ticket is: low, medium or high.\n"
        "Is it a classification task? Yes\n\n"
        "Task: Suggest five names for a bakery.\n"
        "Is it a classification task? No\n\n"
        "Task: Say whether the hotel review is positive or negative.\n"
        "Is it a classification task? Yes\n\n"
        "Task: Find every date mentioned in the paragraph.\n"
        "Is it a classification task? No\n\n"
        "Task: Is the email spam?\n"
        "Is it a classification task?"
    )


def test_input_first_prompt_is_exact() -> None:
    [message] = stage.instance_messages("Give the plural of the noun.", False, 5)
    assert message.content == (
        "Write examples of the task below, each with an input and the output it should "
        "produce. Give up to 5 examples, and more than one when the task allows it. When the "
        "task needs no input, write only the output.\n\n"
        "Task: Convert the temperature from Celsius to Fahrenheit.\n"
        "Example 1\nInput: 25 °C\nOutput: 77 °F\n"
        "Example 2\nInput: -10 °C\nOutput: 14 °F\n\n"
        "Task: Suggest a name for a new flavour of ice cream.\n"
        "Example 1\nOutput: Midnight Honeycomb Crunch\n\n"
        "Task: Rewrite the sentence in the passive voice.\n"
        "Example 1\nInput: The committee approved the budget.\n"
        "Output: The budget was approved by the committee.\n"
        "Example 2\nInput: A storm damaged the old bridge.\n"
        "Output: The old bridge was damaged by a storm.\n\n"
        "Task: Give the plural of the noun."
    )


def test_output_first_prompt_is_exact() -> None:
    [message] = stage.instance_messages("Is the number odd or even?", True, 3)
    assert message.content == (
        "Below is a classification task. For each class label the task allows, first write "
        "the label, then an input that belongs to that label. Give up to 3 examples and "
        "cover different labels. When the task needs no input, write only the labels.\n\n"
        "Task: Decide whether the customer review is positive or negative.\n"
        "Class label: Positive\n"
        "Input: The charger works with every device I own and arrived a day early.\n"
        "Class label: Negative\n"
        "Input: The zip broke on the second day and the seller ignored my emails.\n\n"
        "Task: Which of the two sentences uses commas correctly? Answer 1 or 2.\n"
        "Class label: 1\n"
        "Input: Sentence 1: After dinner, we walked to the harbour.\n"
        "Sentence 2: After dinner we, walked to the harbour.\n"
        "Class label: 2\n"
        "Input: Sentence 1: She packed bread cheese, and apples.\n"
        "Sentence 2: She packed bread, cheese, and apples.\n\n"
        "Task: Is the number odd or even?"
    )


def test_instance_params_stop_after_the_last_wanted_example() -> None:
    params = stage.instance_params(stage.INSTANCE_PARAMS, 5)
    assert params.stop == ["Task:", "Example 6"]
    assert (params.temperature, params.presence_penalty) == (0.0, 1.5)
    assert stage.instance_params(params, 5) == params  # added once


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Yes", True),
        (" No", False),
        ("yes.", True),
        ("**No**", False),
        ("Yes, it has a fixed set of labels.", True),
        ("Sure! Here is my answer:\nNo", False),
        ("Maybe", None),
        ("", None),
        ("The task asks for", None),
    ],
)
def test_classification_reply(reply: str, expected: bool | None) -> None:
    assert stage.parse_classification(reply) is expected


def pairs(instances: list[Instance]) -> list[tuple[str, str]]:
    return [(i.input, i.output) for i in instances]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (  # the paper's shape, with a chat model's preamble
            "Sure! Here are some examples:\n\nExample 1\nInput: cat\nOutput: cats\n"
            "Example 2\nInput: mouse\nOutput: mice\n",
            [("cat", "cats"), ("mouse", "mice")],
        ),
        (  # no headers, several pairs, a multi-line output
            "Input: 3, 1, 2\nOutput: 1, 2, 3\n\nInput: b, a\nOutput: a,\nb",
            [("3, 1, 2", "1, 2, 3"), ("b, a", "a,\nb")],
        ),
        (  # a task without input: Output only, and a bare headed example
            "Example 1\nOutput: Rainy day blues.\nExample 2\nSunlight on the pier.",
            [("", "Rainy day blues."), ("", "Sunlight on the pier.")],
        ),
        (  # markdown and numbered fields, input and output on one line
            "**Example 1:**\n**Input:** 2 + 2 **Output:** 4\n### Example 2\nInput 2: 3 + 4\n"
            "Output 2: 7",
            [("2 + 2", "4"), ("3 + 4", "7")],
        ),
        (  # the model runs on into a new task: stop there
            "Example 1\nInput: hot\nOutput: cold\n\nTask: Name a colour.\nExample 1\nOutput: red",
            [("hot", "cold")],
        ),
        ("Output: only one answer", [("", "only one answer")]),
        ("Output: red\nOutput: blue", [("", "red"), ("", "blue")]),  # no input, no headers
        ("", []),
        ("I cannot think of any examples for this task.", []),
        ("Input: something with no output", []),
    ],
)
def test_input_first_replies(reply: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(stage.parse_instances(reply, classification=False)) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "Class label: Positive\nInput: Loved it.\nClass label: Negative\nInput: Awful.",
            [("Loved it.", "Positive"), ("Awful.", "Negative")],
        ),
        (  # preamble, markdown, a field name other than Input, a multi-line input
            "Here you go:\n**Class label:** Even\nNumber: 4\nClass label: Odd\n"
            "Sentence 1: one\nSentence 2: three",
            [("Number: 4", "Even"), ("Sentence 1: one\nSentence 2: three", "Odd")],
        ),
        ("Class label: Yes\nClass label: No", [("", "Yes"), ("", "No")]),  # no input needed
        ("Positive: Loved it.", []),
        ("", []),
    ],
)
def test_output_first_replies(reply: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(stage.parse_instances(reply, classification=True)) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (  # the paper's demonstrations: a field name of the task's own, then Output
            "Example 1\nSentence: This house is bad.\nOutput: The house is poorly built.",
            [("Sentence: This house is bad.", "The house is poorly built.")],
        ),
        (
            "Example 1\nParagraph: The bus leaves at 9 and arrives at 10.\n"
            "Question: How long is the trip?\nOutput: An hour.\n"
            "Example 2\nParagraph: Tea steeps for three minutes.\n"
            "Question: How long does tea steep?\nOutput: Three minutes.",
            [
                (
                    "Paragraph: The bus leaves at 9 and arrives at 10.\n"
                    "Question: How long is the trip?",
                    "An hour.",
                ),
                (
                    "Paragraph: Tea steeps for three minutes.\nQuestion: How long does tea steep?",
                    "Three minutes.",
                ),
            ],
        ),
        (  # a multi-line input after Input:, blank lines inside
            "Example 1\nInput: Dear team,\n\nthe launch moves to May.\nOutput: Launch delayed.",
            [("Dear team,\n\nthe launch moves to May.", "Launch delayed.")],
        ),
        (  # a table as input
            "Example 1\nInput:\n| city | temp |\n|---|---|\n| Oslo | 3 |\n| Rome | 18 |\n"
            "Output: Rome is warmer.",
            [("| city | temp |\n|---|---|\n| Oslo | 3 |\n| Rome | 18 |", "Rome is warmer.")],
        ),
        (  # code keeps its indentation
            "Example 1\nInput:\n    def double(x):\n        return x * 2\nOutput: It doubles x.",
            [("def double(x):\n    return x * 2", "It doubles x.")],
        ),
        (  # the header and the first field on one line
            "Example 1: Input: 12 km\nOutput: 7.5 miles",
            [("12 km", "7.5 miles")],
        ),
        (  # headers with the input on their line, the task's own field names
            "Example 1: Sentence: It rains.\nOutput: Il pleut.\n"
            "Example 2: Sentence: It snows.\nOutput: Il neige.",
            [("Sentence: It rains.", "Il pleut."), ("Sentence: It snows.", "Il neige.")],
        ),
        (  # a field before Input: in a headed example stays part of the input
            "Example 1\nContext: a bakery\nInput: a complaint\nOutput: An apology.",
            [("Context: a bakery\na complaint", "An apology.")],
        ),
        (  # without a header, lines before Output are the input; a preamble is not
            "Sure! Here are some examples:\nSentence: It rains.\nOutput: Il pleut.",
            [("Sentence: It rains.", "Il pleut.")],
        ),
        (  # a preamble before an Input line is not part of the input
            "Here is one example for you:\nInput: 4\nOutput: 16",
            [("4", "16")],
        ),
    ],
)
def test_everything_between_the_header_and_output_is_the_input(
    reply: str, expected: list[tuple[str, str]]
) -> None:
    assert pairs(stage.parse_instances(reply, classification=False)) == expected


def test_a_draft_keeps_the_input_of_a_paper_shaped_reply() -> None:
    reply = "Example 1\nSentence: This house is bad.\nOutput: The house is poorly built."
    classification = {"is_classification": False, "by": "user"}
    [draft] = stage.instance_drafts("Improve the sentence.", classification, [], reply)
    assert draft.content == {
        "instruction": "Improve the sentence.",
        "input": "Sentence: This house is bad.",
        "output": "The house is poorly built.",
    }


def test_parse_instances_keeps_at_most_the_maximum() -> None:
    reply = "\n".join(f"Example {i}\nInput: {i}\nOutput: {i * 2}" for i in range(1, 9))
    assert len(stage.parse_instances(reply, False)) == 5
    assert len(stage.parse_instances(reply, False, max_instances=2)) == 2


# -- a run: plan, read, follow-ups ----------------------------------------------------
WORDS = ["red", "green", "blue", "amber", "violet", "teal", "olive", "coral"]
SEED_TASKS = [
    SeedTask(
        id=number,
        instruction=f"Describe a {word} object in one sentence.",
        instances=[Instance(output=f"A {word} thing.")],
    )
    for number, word in enumerate(WORDS, start=1)
]
PROJECT = Project(id=1, name="Tasks")
METHOD = METHODS["self_instruct"]
NEW_TASKS = (
    "9. Write a limerick about a sleepy cat.\n"
    "10. Draw a map of your town.\n"
    "11. Classify the sentiment of the tweet as positive or negative."
)


def context(**options):
    return make_context(PROJECT, SEED_TASKS, options=options)


def replies(request: Request) -> str:
    if request.stage == "instructions":
        return NEW_TASKS
    instruction = request.context["instruction"]
    if request.stage == "classify":
        return "Yes" if instruction.startswith("Classify") else "No"
    if "Classify" in instruction:
        return "Class label: Positive\nInput: Best day ever!\nClass label: Negative\nInput: Ugh."
    return "Example 1\nOutput: A cat on a mat\nslept where it sat."


def test_registry_lists_every_method_in_order() -> None:
    assert list(METHODS) == [
        "self_instruct",
        "attrprompt",
        "class_conditional",
        "chataug",
        "evol_instruct",
        "conversation",
    ]
    assert get_method("self_instruct") is METHOD
    with pytest.raises(ValueError, match="Unknown method 'nope'. Known methods: self_instruct"):
        get_method("nope")


def test_plan_uses_the_papers_sampling_and_pool() -> None:
    accepted = [
        accepted_candidate(
            40 + i, content={"instruction": f"Machine task {i}.", "input": "", "output": "x"}
        )
        for i in range(3)
    ]
    ctx = make_context(PROJECT, SEED_TASKS, accepted=accepted)
    requests = METHOD.plan(ctx, 25, random.Random(4))
    # 10 drafts expected per request by default: 3 requests for 25.
    assert [r.key for r in requests] == [f"instructions/{i}" for i in range(3)]
    for request in requests:
        assert request.stage == "instructions"
        assert request.params == GenerationParams(
            temperature=0.7,
            top_p=0.5,
            presence_penalty=2.0,
            max_tokens=1024,
            stop=["\n16", "16.", "16 ."],
        )
        shown = request.context["shown"]
        assert sum(text.startswith("Machine task") for text in shown) == 2
        assert len(shown) == 8
        assert prompt_of(request).endswith("\n9.")
    assert METHOD.plan(ctx, 25, random.Random(4)) == requests  # deterministic for a seed


def test_a_run_classifies_then_writes_instances_one_draft_each() -> None:
    run = drive(METHOD, context(), replies, n=3)
    assert run.errors == []
    assert run.stages() == ["instructions", "classify", "classify", "instances", "instances"]
    by_instruction = {}
    for _, draft in run.drafts:
        by_instruction.setdefault(draft.content["instruction"], []).append(draft)
    # The blocked task is kept, flagged, with no follow-up.
    [blocked] = by_instruction["Draw a map of your town."]
    assert blocked.content == {"instruction": "Draw a map of your town.", "input": "", "output": ""}
    assert [c.name for c in blocked.checks if not c.passed] == ["blocklist"]
    # A generation task: input-first, its output read across lines.
    [limerick] = by_instruction["Write a limerick about a sleepy cat."]
    assert limerick.content["output"] == "A cat on a mat\nslept where it sat."
    assert limerick.attributes == {"task type": "generation"}
    assert limerick.lineage["classification"] == {
        "is_classification": False,
        "by": "model",
        "reply": "No",
    }
    # A classification task: output-first, one draft per instance.
    sentiment = by_instruction["Classify the sentiment of the tweet as positive or negative."]
    assert [(d.content["input"], d.content["output"]) for d in sentiment] == [
        ("Best day ever!", "Positive"),
        ("Ugh.", "Negative"),
    ]
    assert [d.lineage["instance"] for d in sentiment] == [1, 2]
    assert all(d.attributes == {"task type": "classification"} for d in sentiment)
    names = [c.name for c in sentiment[0].checks]
    assert names == [
        "novelty",
        "length",
        "blocklist",
        "format",
        "instance_conflict",
        "instance_echo",
        "instance_empty_output",
        "instance_colon",
        "refusal",
    ]
    assert all(c.passed for c in sentiment[0].checks)
    novelty = limerick.checks[0]
    assert 0 < novelty.score < 0.7 and novelty.detail.startswith("closest: Describe a")
    classify = next(r for r in run.requests if r.stage == "classify")
    assert classify.params == stage.CLASSIFY_PARAMS
    instances = [r for r in run.requests if r.stage == "instances"]
    assert prompt_of(instances[0]).startswith("Write examples of the task below")
    assert prompt_of(instances[1]).startswith("Below is a classification task.")
    assert instances[0].params.stop == ["Task:", "Example 6"]


def test_a_new_task_too_close_to_the_pool_is_flagged_with_the_closest() -> None:
    reply = "9. Describe a red object in a single sentence.\n10. Name three rivers in Asia."
    answers = by_stage(
        instructions=reply, instances="Output: The Mekong, the Ganges and the Yangtze."
    )
    run = drive(METHOD, context(classification="never"), answers)
    close, rivers = (draft for _, draft in run.drafts)
    novelty = close.checks[0]
    assert (novelty.name, novelty.passed) == ("novelty", False)
    assert novelty.score > 0.7
    assert novelty.detail == "closest: Describe a red object in one sentence."
    assert close.content["output"] == ""
    assert rivers.content["output"] == "The Mekong, the Ganges and the Yangtze."


def test_tasks_of_one_reply_are_compared_with_each_other() -> None:
    reply = "9. List three fruits that are red.\n10. List three fruits that are red please."
    answers = by_stage(instructions=reply, instances="Output: Cherry, strawberry, raspberry.")
    run = drive(METHOD, context(classification="never"), answers)
    drafts = {draft.content["instruction"]: draft for _, draft in run.drafts}
    assert drafts["List three fruits that are red."].content["output"].startswith("Cherry")
    second = drafts["List three fruits that are red please."]
    assert second.checks[0].passed is False
    assert second.checks[0].detail == "closest: List three fruits that are red."


def test_echoes_of_the_example_tasks_are_not_new_tasks() -> None:
    ctx = context()
    [request] = METHOD.plan(ctx, 1, random.Random(0))
    shown = request.context["shown"]
    echo = "\n".join(f"{i}. {text}" for i, text in enumerate(shown, start=1))
    outcome = METHOD.read(ctx, request, echo)
    assert outcome.error == "The reply only repeated the example tasks."
    outcome = METHOD.read(ctx, request, echo + "\n9. Name a bird that cannot fly.")
    assert [f.context["instruction"] for f in outcome.follow_ups] == [
        "Name a bird that cannot fly."
    ]
    assert outcome.drafts == []


@pytest.mark.parametrize("reply", ["", "   ", "Here are more tasks:", "16. Too late."])
def test_a_reply_without_tasks_is_an_explained_error(reply: str) -> None:
    ctx = context()
    [request] = METHOD.plan(ctx, 1, random.Random(0))
    assert METHOD.read(ctx, request, reply).error == "The reply held no numbered task."


def test_the_user_can_decide_the_task_type() -> None:
    always = drive(METHOD, context(classification="always"), replies, n=1)
    assert "classify" not in always.stages()
    verdicts = [
        d.lineage["classification"] for _, d in always.drafts if "classification" in d.lineage
    ]
    assert verdicts and all(v == {"is_classification": True, "by": "user"} for v in verdicts)
    forced = context(force_classification={"write a limerick  about a sleepy cat.": True})
    run = drive(METHOD, forced, replies, n=1)
    instances = [r for r in run.requests if r.stage == "instances"]
    limerick = next(r for r in instances if "limerick" in r.context["instruction"])
    assert prompt_of(limerick).startswith("Below is a classification task.")
    assert run.stages().count("classify") == 1  # only the other task is asked


def test_an_unclear_verdict_goes_input_first_and_says_so() -> None:
    answers = by_stage(
        instructions="9. Name a bird that cannot fly.",
        classify="Hmm.",
        instances="Output: The emu.",
    )
    run = drive(METHOD, context(), answers)
    [(_, draft)] = run.drafts
    assert draft.content["output"] == "The emu."
    assert draft.lineage["classification"]["by"] == "model (unclear reply, read as No)"


def test_tasks_mode_writes_instances_for_given_instructions() -> None:
    ctx = context(
        tasks=["Draw a map of your town.  "],
        force_classification={"Draw a map of your town.": False},
    )
    run = drive(METHOD, ctx, lambda r: "Output: A sketch with the river and the school.", n=1)
    assert [r.key for r in run.requests] == ["task/0/instances"]
    assert (METHOD.max_rounds(ctx), METHOD.max_rounds(context())) == (1, None)
    [(_, draft)] = run.drafts
    assert draft.content["instruction"] == "Draw a map of your town."
    assert draft.content["output"] == "A sketch with the river and the school."


def test_instance_checks_flag_only_the_faulty_instance() -> None:
    reply = (
        "Example 1\nInput: a\nOutput: A\n"
        "Example 2\nInput: b\nOutput:\n"
        "Example 3\nInput: c\nOutput: c"
    )
    answers = by_stage(instructions="9. Capitalise the given letter.", instances=reply)
    run = drive(METHOD, context(classification="never"), answers)
    failed = [[c.name for c in d.checks if not c.passed] for _, d in run.drafts]
    assert failed == [[], ["instance_empty_output"], ["instance_echo"]]
    empty = next(c for c in run.drafts[1][1].checks if c.name == "instance_empty_output")
    assert empty.detail == "instance 2: empty output"


def test_a_conflict_flags_every_instance_of_the_task() -> None:
    reply = "Input: 2+2\nOutput: 4\nInput: 2+2\nOutput: 5\nInput: 1+1\nOutput: 2"
    answers = by_stage(instructions="9. Add the two numbers.", instances=reply)
    run = drive(METHOD, context(classification="never"), answers)
    assert len(run.drafts) == 3
    assert all(
        not next(c for c in d.checks if c.name == "instance_conflict").passed for _, d in run.drafts
    )


def test_a_task_whose_instances_cannot_be_read_is_kept_flagged() -> None:
    answers = by_stage(instructions="9. Is the word a noun?", instances="I am not sure.")
    run = drive(METHOD, context(classification="always"), answers)
    [(_, draft)] = run.drafts
    assert draft.content == {"instruction": "Is the word a noun?", "input": "", "output": ""}
    failed = [c for c in draft.checks if not c.passed]
    assert [(c.name, c.detail) for c in failed] == [
        ("instances", "No instance could be read from the reply.")
    ]


# -- options ------------------------------------------------------------------------------
def test_options_fill_unnamed_params_from_the_stage_defaults() -> None:
    options = self_instruct.SelfInstructOptions.parse({"params": {"instances": {"max_tokens": 99}}})
    assert options.params["instances"].max_tokens == 99
    assert options.params["instances"].presence_penalty == 1.5
    assert options.params["instructions"] == self_instruct.INSTRUCTION_PARAMS
    ctx = context(params={"instructions": {"temperature": 0.2}})
    requests = METHOD.plan(ctx, 1, random.Random(0))
    assert requests[0].params.temperature == 0.2 and requests[0].params.top_p == 0.5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_instances": 0}, "max_instances: Input should be greater than or equal to 1"),
        ({"machine_in_prompt": 9}, "machine_in_prompt cannot exceed prompt_instructions"),
        ({"min_words": 20, "max_words": 10}, "min_words cannot exceed max_words"),
        ({"classification": "sometimes"}, "classification: Input should be 'model', 'always'"),
        ({"params": {"answer": {}}}, "no stage named answer (stages: instructions, classify"),
        ({"params": {"classify": {"temperature": 5}}}, "params.classify.temperature"),
        ({"params": {"classify": "hot"}}, "params.classify: Input should be a valid dictionary"),
        ({"params": "hot"}, "params: Input should be a valid dictionary"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_invalid_options_are_explained(options: dict, message: str) -> None:
    problem = METHOD.unavailable(context(**options))
    assert problem is not None and problem.startswith("Invalid options. ")
    assert message in problem
    with pytest.raises(ValueError, match="Invalid options"):
        METHOD.plan(context(**options), 1, random.Random(0))


def test_unavailable_without_seeds_or_for_classification_projects() -> None:
    assert METHOD.unavailable(context()) is None
    assert "seed task" in METHOD.unavailable(make_context(PROJECT))
    labelled = Project(name="n", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    assert "labels texts" in METHOD.unavailable(make_context(labelled, SEED_TASKS))
