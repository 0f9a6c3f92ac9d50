"""Evol-Instruct: the evolving prompts, the elimination checks, lineage across generations."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import METHODS, evol_instruct
from seedbed.methods.base import Request
from seedbed.models import Instance, Project, ProjectKind, SeedTask
from tests.method_driver import accepted_candidate, by_stage, drive, make_context, prompt_of

METHOD = METHODS["evol_instruct"]
TASKS = Project(id=1, name="Tasks")
SEEDS = [
    SeedTask(
        id=4,
        instruction="Sort the numbers in ascending order.",
        instances=[Instance(input="3, 1, 2", output="1, 2, 3")],
    )
]
OPTIONS = evol_instruct.EvolInstructOptions()


def test_in_depth_prompt_is_exact() -> None:
    [message] = evol_instruct.build_messages("Sort the numbers.\n\n3, 1, 2", "deepen", OPTIONS)
    assert message.content == (
        "Rewrite the task below so that it becomes harder for a capable AI assistant, while "
        "staying sensible: a person must still be able to understand it and answer it.\n\n"
        "How to make it harder: if the task asks about an issue, make it ask about the issue "
        "in more depth and breadth.\n\n"
        "Rules:\n"
        "1. Keep every part of the task that is not prose, such as a table, code or data, and "
        "keep its input.\n"
        "2. Add only between 10 and 20 words; do not make it wordy.\n"
        '3. Do not refer to this rewriting: the words "#Given Prompt#", "#Rewritten Prompt#", '
        '"given prompt" and "rewritten prompt" must not appear in your version.\n'
        "4. Reply with the rewritten task only.\n\n"
        "#Given Prompt#:\nSort the numbers.\n\n3, 1, 2\n\n"
        "#Rewritten Prompt#:"
    )


@pytest.mark.parametrize("operation", list(evol_instruct.DEPTH_HOW))
def test_each_in_depth_operation_says_how(operation: str) -> None:
    [message] = evol_instruct.build_messages("Name a fruit.", operation, OPTIONS)
    assert f"How to make it harder: {evol_instruct.DEPTH_HOW[operation]}\n" in message.content


def test_complicate_input_asks_for_data_in_a_sampled_format_without_a_word_cap() -> None:
    [message] = evol_instruct.build_messages(
        "Sum the prices.", "complicate_input", OPTIONS, "JSON data"
    )
    assert message.content == (
        "Rewrite the task below so that it becomes harder for a capable AI assistant, while "
        "staying sensible: a person must still be able to understand it and answer it.\n\n"
        "How to make it harder: add JSON data as input data to the task, and make the task "
        "depend on that data.\n\n"
        "Rules:\n"
        "1. The rewritten task must contain the data itself, written out in full as JSON data; "
        "keep the rest of the task and its input.\n"
        '2. Do not refer to this rewriting: the words "#Given Prompt#", "#Rewritten Prompt#", '
        '"given prompt" and "rewritten prompt" must not appear in your version.\n'
        "3. Reply with the rewritten task only.\n\n"
        "#Given Prompt#:\nSum the prices.\n\n#Rewritten Prompt#:"
    )
    assert "Add only" not in message.content  # no word cap: the data is written out


def test_complicate_input_requests_sample_every_data_format() -> None:
    context = make_context(TASKS, SEEDS, options={"operations": ["complicate_input"]})
    requests = METHOD.plan(context, 60, random.Random(0))
    formats = {r.context["data_format"] for r in requests}
    assert formats == set(evol_instruct.DATA_FORMATS)
    assert evol_instruct.DATA_FORMATS == (
        "XML data", "an SQL table", "Python code", "a table", "JSON data", "a formula",
    )  # fmt: skip
    for request in requests:
        assert f"add {request.context['data_format']} as input data" in (
            request.messages[-1].content
        )


def test_in_breadth_prompt_is_exact() -> None:
    [message] = evol_instruct.build_messages("Name a fruit.", "breadth", OPTIONS)
    assert message.content == (
        "Take the task below as inspiration and write a brand-new task for an AI assistant. "
        "The new task must belong to the same domain but be about something rarer. Its length "
        "and difficulty should be close to those of the original, and it must be sensible: a "
        "person must be able to understand it and answer it.\n\n"
        'Do not refer to this exercise: the words "#Given Prompt#", "#Created Prompt#", "given '
        'prompt" and "created prompt" must not appear in your task. Reply with the new task '
        "only.\n\n#Given Prompt#:\nName a fruit.\n\n#Created Prompt#:"
    )


def test_judge_prompt_is_exact() -> None:
    [message] = evol_instruct.judge_messages("Name a fruit.", "Name a tropical fruit.")
    assert message.content == (
        "Here are two instructions given to an AI assistant. Are they equal, that is, do they "
        "have the same constraints and requirements, and do they ask with the same depth and "
        "breadth?\n\nFirst instruction:\nName a fruit.\n\nSecond instruction:\n"
        "Name a tropical fruit.\n\nAnswer Yes if they are equal and No if they are not, with no "
        "explanation."
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Sort the numbers in descending order.", "Sort the numbers in descending order."),
        ("#Rewritten Prompt#:\nSort the numbers, then", "Sort the numbers, then"),
        ("**Rewritten Prompt:** Sort them twice.", "Sort them twice."),
        ('Sure! Here is the rewritten prompt:\n\n"Sort them twice."', "Sort them twice."),
        ("#Created Prompt#: List the moons of Mars.", "List the moons of Mars."),
        ("", ""),
        ("#Rewritten Prompt#:", ""),
    ],
)
def test_parse_reads_the_evolved_instruction(reply: str, expected: str) -> None:
    assert evol_instruct.parse(reply) == expected


def test_elimination_checks() -> None:
    assert evol_instruct.scaffolding_check(
        "Sort them. This rewritten prompt adds a rule."
    ).detail == ("copies 'rewritten prompt' from the evolving prompt")
    assert evol_instruct.scaffolding_check("Sort the numbers by size.").passed
    short_sorry = evol_instruct.apology_check("Sorry, I cannot sort an empty list.")
    assert (short_sorry.passed, short_sorry.score) == (False, 7.0)
    long_sorry = "Sorry for the wait. " + "Here is a careful answer. " * 20
    assert evol_instruct.apology_check(long_sorry).passed
    assert not evol_instruct.content_check("... it is, and the; !").passed
    assert evol_instruct.content_check("It is 42.").passed


def replies(**overrides: str):
    default = {
        "evolve": "Sort the numbers in ascending order and report the median as well.",
        "judge": "No",
        "answer": "1, 2, 3; the median is 2.",
    }
    return by_stage(**{**default, **overrides})


def test_a_run_evolves_judges_answers_and_records_lineage() -> None:
    context = make_context(TASKS, SEEDS, options={"operations": ["add_constraints"]})
    run = drive(METHOD, context, replies(), n=1)
    assert run.stages() == ["evolve", "judge", "answer"]
    assert [r.key for r in run.requests] == [
        "evolve/0/seed-4/add_constraints",
        "evolve/0/seed-4/add_constraints/judge",
        "evolve/0/seed-4/add_constraints/answer",
    ]
    # The seed's input is part of what evolves.
    assert "#Given Prompt#:\nSort the numbers in ascending order.\n\n3, 1, 2\n" in prompt_of(
        run.requests[0]
    )
    assert prompt_of(run.requests[1]).count("Sort the numbers in ascending order") == 2
    [(_, draft)] = run.drafts
    assert draft.content == {
        "instruction": "Sort the numbers in ascending order and report the median as well.",
        "input": "",
        "output": "1, 2, 3; the median is 2.",
    }
    assert [(c.name, c.passed) for c in draft.checks] == [
        ("scaffolding", True),
        ("information_gain", True),
        ("apology", True),
        ("content", True),
    ]
    assert draft.lineage == {
        "source_kind": "seed",
        "seed_id": 4,
        "operation": "add_constraints",
        "generation": 1,
    }
    params = [r.params for r in run.requests]
    assert (params[0].temperature, params[1].temperature, params[1].max_tokens) == (1.0, 0.0, 5)


def test_an_evolved_candidate_evolves_into_the_next_generation() -> None:
    parent = accepted_candidate(
        12,
        content={"instruction": "Sort and give the median.", "input": "", "output": "2"},
        method="evol_instruct",
        lineage={"generation": 2, "operation": "deepen"},
    )
    context = make_context(TASKS, SEEDS, accepted=[parent], options={"candidate_ids": [12]})
    run = drive(METHOD, context, replies(), n=1)
    [(_, draft)] = run.drafts
    assert draft.lineage["parent_id"] == 12
    assert draft.lineage["generation"] == 3


def test_no_information_gain_is_flagged_and_not_answered() -> None:
    context = make_context(TASKS, SEEDS)
    run = drive(METHOD, context, replies(judge="Yes"), n=1)
    assert run.stages() == ["evolve", "judge"]
    [(_, draft)] = run.drafts
    assert draft.content["output"] == ""
    gain = draft.checks[-1]
    assert (gain.name, gain.passed, gain.detail) == (
        "information_gain",
        False,
        "judged equal to its parent",
    )


def test_an_unclear_judgement_does_not_eliminate() -> None:
    run = drive(METHOD, make_context(TASKS, SEEDS), replies(judge="It depends."), n=1)
    assert run.stages() == ["evolve", "judge", "answer"]
    gain = next(c for c in run.drafts[0][1].checks if c.name == "information_gain")
    assert gain.passed and gain.detail == "the judge's reply was unclear: 'It depends.'"


def test_copied_scaffolding_is_flagged_before_any_follow_up() -> None:
    evolved = "Using the given prompt, sort the numbers and explain each swap."
    run = drive(METHOD, make_context(TASKS, SEEDS), replies(evolve=evolved), n=1)
    assert run.stages() == ["evolve"]
    [(_, draft)] = run.drafts
    assert [(c.name, c.passed) for c in draft.checks] == [("scaffolding", False)]
    assert draft.lineage["generation"] == 1


def test_a_short_apology_is_flagged() -> None:
    run = drive(METHOD, make_context(TASKS, SEEDS), replies(answer="Sorry, I can't do that."), n=1)
    failed = [c.name for c in run.drafts[0][1].checks if not c.passed]
    assert failed == ["apology"]


@pytest.mark.parametrize("stage", ["evolve", "answer"])
def test_empty_replies_are_explained(stage: str) -> None:
    run = drive(METHOD, make_context(TASKS, SEEDS), replies(**{stage: "  "}), n=1)
    [(request, error)] = run.errors
    assert request.stage == stage
    assert error in ("The reply held no evolved instruction.", "The answer was empty.")
    assert run.drafts == []


def test_operations_are_drawn_from_the_allowed_ones() -> None:
    context = make_context(TASKS, SEEDS)
    requests = METHOD.plan(context, 60, random.Random(0))
    operations = {r.context["operation"] for r in requests}
    assert operations == set(evol_instruct.OPERATIONS)
    only = make_context(TASKS, SEEDS, options={"operations": ["breadth", "concretize"]})
    assert {r.context["operation"] for r in METHOD.plan(only, 30, random.Random(0))} == {
        "breadth",
        "concretize",
    }


def test_an_unknown_stage_is_an_error_not_a_crash() -> None:
    context = make_context(TASKS, SEEDS)
    [request] = METHOD.plan(context, 1, random.Random(0))
    odd = Request.model_validate({**request.model_dump(), "stage": "polish"})
    assert METHOD.read(context, odd, "x").error == "Evol-Instruct has no stage 'polish'."


def test_unavailable_for_labelled_texts_and_bad_options() -> None:
    assert METHOD.unavailable(make_context(TASKS, SEEDS)) is None
    news = Project(name="n", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    assert "labels texts" in METHOD.unavailable(make_context(news, SEEDS))
    bad = make_context(TASKS, SEEDS, options={"operations": ["shorten"]})
    assert "operations.0: Input should be 'add_constraints'" in METHOD.unavailable(bad)
    none = make_context(TASKS, SEEDS, options={"operations": []})
    assert "operations: List should have at least 1 item" in METHOD.unavailable(none)
    order = make_context(TASKS, SEEDS, options={"added_words_min": 30})
    assert "added_words_min cannot exceed added_words_max" in METHOD.unavailable(order)
