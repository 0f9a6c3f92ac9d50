"""Every number and list the methods and checks take from their sources, pinned.

A method that quietly changes its sampling, its stops, its defaults or a filter's
word list no longer matches its paper; each value here is the source's (or, where
Seedbed departs from it, the departure the module documents). bench/mutation_check.py
measures how many one-line changes the tests catch.
"""

from __future__ import annotations

import inspect

import pytest

from seedbed import checks
from seedbed.methods import attrprompt, chataug, common, evol_instruct, proposals, self_instruct
from seedbed.methods import self_instruct_instances as instances
from seedbed.models import GenerationParams


def params(**values: object) -> GenerationParams:
    return GenerationParams(**values)


# -- sampling of every stage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (  # Self-Instruct's bootstrap_instructions.py
            self_instruct.INSTRUCTION_PARAMS,
            params(
                temperature=0.7,
                top_p=0.5,
                presence_penalty=2.0,
                max_tokens=1024,
                stop=["\n16", "16.", "16 ."],
            ),
        ),
        (  # identify_clf_or_not.py: one greedy word
            instances.CLASSIFY_PARAMS,
            params(temperature=0.0, top_p=1.0, max_tokens=3, stop=["\n", "Task"]),
        ),
        (  # generate_instances.py
            instances.INSTANCE_PARAMS,
            params(
                temperature=0.0, top_p=1.0, presence_penalty=1.5, max_tokens=350, stop=["Task:"]
            ),
        ),
        (attrprompt.DEFAULT_PARAMS, params(temperature=1.0, top_p=0.95, max_tokens=300)),
        (chataug.PARAPHRASE_PARAMS, params(temperature=1.0, top_p=1.0, max_tokens=1500)),
        (common.ANSWER_PARAMS, params(temperature=0.7, top_p=0.9, max_tokens=1024)),
        (evol_instruct.EVOLVE_PARAMS, params(temperature=1.0, top_p=0.95, max_tokens=2048)),
        (evol_instruct.JUDGE_PARAMS, params(temperature=0.0, top_p=1.0, max_tokens=5)),
        (proposals.PROPOSAL_PARAMS, params(temperature=0.7, top_p=0.95, max_tokens=400)),
        (proposals.CHECK_PARAMS, params(temperature=0.0, top_p=1.0, max_tokens=120)),
    ],
)
def test_each_stage_samples_as_its_source(
    actual: GenerationParams, expected: GenerationParams
) -> None:
    assert actual.model_dump() == expected.model_dump()


def test_the_stages_use_those_params_by_default() -> None:
    si = self_instruct.SelfInstructOptions.parse({})
    assert si.params["instructions"] == self_instruct.INSTRUCTION_PARAMS
    assert si.params["classify"] == instances.CLASSIFY_PARAMS
    assert si.params["instances"] == instances.INSTANCE_PARAMS
    evol = evol_instruct.EvolInstructOptions.parse({})
    assert evol.params["evolve"] == evol_instruct.EVOLVE_PARAMS
    assert chataug.ChatAugOptions.parse({}).params["paraphrase"] == chataug.PARAPHRASE_PARAMS


# -- defaults and lists ----------------------------------------------------------------------


def test_self_instruct_numbers() -> None:
    assert (self_instruct.NUM_SEED_IN_PROMPT, self_instruct.NUM_MACHINE_IN_PROMPT) == (6, 2)
    assert self_instruct.STOP == ["\n16", "16.", "16 ."]
    assert instances.MAX_INSTANCES == 5
    options = self_instruct.SelfInstructOptions.parse({})
    assert (options.prompt_instructions, options.machine_in_prompt) == (8, 2)
    assert (options.max_instances, options.drafts_per_request) == (5, 10)
    assert (options.novelty_threshold, options.min_words, options.max_words) == (0.7, 4, 150)


def test_self_instruct_reads_a_list_up_to_task_15() -> None:
    reply = "\n".join(f"{i}. Task number {i} for the list." for i in range(13, 18))
    assert self_instruct.parse(reply) == [
        "Task number 13 for the list.",
        "Task number 14 for the list.",
        "Task number 15 for the list.",
    ]


def test_evol_instruct_numbers_and_operations() -> None:
    assert evol_instruct.OPERATIONS == (
        "add_constraints",
        "deepen",
        "concretize",
        "increase_reasoning",
        "complicate_input",
        "breadth",
    )
    assert evol_instruct.SCAFFOLDING == (
        "#given prompt#",
        "#rewritten prompt#",
        "#created prompt#",
        "given prompt",
        "rewritten prompt",
        "created prompt",
    )
    options = evol_instruct.EvolInstructOptions.parse({})
    assert (options.added_words_min, options.added_words_max) == (10, 20)
    assert options.apology_max_words == 80
    assert list(options.operations) == list(evol_instruct.OPERATIONS)


@pytest.mark.parametrize(("words", "flagged"), [(79, True), (80, False), (81, False)])
def test_the_apology_rule_is_sorry_in_fewer_than_80_words(words: int, flagged: bool) -> None:
    answer = " ".join(["Sorry"] + ["word"] * (words - 1))
    assert evol_instruct.apology_check(answer).passed is not flagged
    assert evol_instruct.apology_check(" ".join(["word"] * 10)).passed  # no "sorry"


def test_evol_added_words_must_be_in_order() -> None:
    with pytest.raises(ValueError, match="added_words"):
        evol_instruct.EvolInstructOptions.parse({"added_words_min": 21, "added_words_max": 20})
    equal = evol_instruct.EvolInstructOptions.parse({"added_words_min": 15, "added_words_max": 15})
    assert equal.added_words_min == equal.added_words_max == 15


def test_other_method_defaults() -> None:
    assert chataug.ChatAugOptions.parse({}).paraphrases == 6
    assert attrprompt.AttrPromptOptions.parse({}).coverage_draws == 16
    assert inspect.signature(attrprompt.coverage_combinations).parameters["draws"].default == 16
    assert proposals.MAX_SIMILAR == 5
    assert inspect.signature(proposals.dimension_messages).parameters["count"].default == 5
    assert inspect.signature(proposals.value_messages).parameters["count"].default == 10


# -- the checks ------------------------------------------------------------------------------


def test_the_blocklist_is_self_instructs_with_alpacas_additions() -> None:
    assert checks.BLOCKLIST == (
        "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map",
        "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
    )  # fmt: skip
    for word in checks.BLOCKLIST:
        assert not checks.blocklist_check(f"Describe the {word} in detail.").passed


def test_the_check_thresholds() -> None:
    assert checks.NOVELTY_THRESHOLD == 0.7
    assert (checks.MIN_WORDS, checks.MAX_WORDS) == (4, 150)
    assert [checks.length_check(" ".join(["w"] * n)).passed for n in (3, 4, 150, 151)] == [
        False,
        True,
        True,
        False,
    ]


def test_self_instruct_may_show_only_machine_tasks() -> None:
    options = self_instruct.SelfInstructOptions.parse(
        {"prompt_instructions": 4, "machine_in_prompt": 4}
    )
    assert options.machine_in_prompt == options.prompt_instructions == 4
    with pytest.raises(ValueError, match="machine_in_prompt cannot exceed prompt_instructions"):
        self_instruct.SelfInstructOptions.parse({"prompt_instructions": 4, "machine_in_prompt": 5})
