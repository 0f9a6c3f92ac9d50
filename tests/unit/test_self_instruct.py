"""Self-Instruct: the prompt the model sees and how its numbered reply is read."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import self_instruct

SEEDS = [f"Seed instruction {i}." for i in range(10)]
MACHINE = [f"Machine instruction {i}." for i in range(5)]


def test_instruction_prompt_is_exact() -> None:
    [message] = self_instruct.build_messages(
        ["Write a haiku about rain.", "Sort these  numbers:\n 3, 1, 2."]
    )
    assert message.role == "user"
    assert message.content == (
        "Come up with a series of tasks:\n"
        "1. Write a haiku about rain.\n"
        "2. Sort these numbers: 3, 1, 2.\n"
        "3."
    )


def test_response_prompt_is_exact() -> None:
    [plain] = self_instruct.build_response_messages("Name three primary colours.")
    assert plain.content == "Name three primary colours."
    [with_input] = self_instruct.build_response_messages("Add the numbers.", "2 + 3")
    assert with_input.content == "Add the numbers.\n\n2 + 3"


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


def test_parse_stops_at_task_16() -> None:
    reply = "14. Fourteen.\n15. Fifteen.\n16. Sixteen.\n17. Seventeen."
    assert self_instruct.parse(reply) == ["Fourteen.", "Fifteen."]


def test_parse_drops_duplicates_and_empty_items() -> None:
    reply = "9. Name a colour.\n10.\n11. Name   a colour.\n12. Name a shape."
    assert self_instruct.parse(reply) == ["Name a colour.", "Name a shape."]


@pytest.mark.parametrize("reply", ["", "   \n\n", "Here are more tasks:", "1.\n2.\n3)"])
def test_parse_finds_nothing_in_empty_or_garbage_replies(reply: str) -> None:
    assert self_instruct.parse(reply) == []
