"""ChatAug: paraphrases of seed or accepted items that keep the label, linked to their source."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import METHODS, chataug
from seedbed.methods.sources import Source
from seedbed.models import Instance, Project, ProjectKind, SeedTask
from tests.method_driver import accepted_candidate, drive, make_context, prompt_of

METHOD = METHODS["chataug"]
NEWS = Project(
    id=1,
    name="News",
    kind=ProjectKind.CLASSIFICATION,
    labels=["business", "sports"],
    item_name="news article",
)
NEWS_SEEDS = [
    SeedTask(
        id=7,
        instruction="Classify the topic.",
        instances=[
            Instance(input="Shares rose.", output="business"),
            Instance(input="The Pumas won.", output="sports"),
        ],
    )
]
ACCEPTED_NEWS = [
    accepted_candidate(
        31,
        content={"text": "Banks cut rates.", "label": "business"},
        label="business",
        method="attrprompt",
        lineage={"source_kind": "seed", "generation": 1},
    )
]
TASKS = Project(id=2, name="Tasks")
TASK_SEEDS = [
    SeedTask(
        id=3,
        instruction="Give the capital of the country.",
        instances=[
            Instance(input="Peru", output="Lima"),
            Instance(input="Chad", output="N'Djamena"),
        ],
    )
]


def test_prompt_for_a_labelled_text_is_exact() -> None:
    source = Source(
        kind="seed",
        id=7,
        instance=0,
        content={"text": "Shares rose.", "label": "business"},
        label="business",
    )
    [message] = chataug.build_messages(source, 3, "news article")
    assert message.content == (
        "Rephrase the news article below in 3 different ways. Each version must keep its "
        'meaning and still clearly belong to the label "business"; vary the wording and the '
        "sentence structure.\n"
        "Write the versions as a numbered list, one version per number, and nothing else.\n\n"
        "Shares rose."
    )


def test_prompt_for_an_instruction_is_exact() -> None:
    source = Source(
        kind="seed",
        id=3,
        content={
            "instruction": "Give the capital of the country.",
            "input": "Peru",
            "output": "Lima",
        },
    )
    [message] = chataug.build_messages(source, 2, "task instruction for an AI assistant")
    assert message.content == (
        "Rephrase the task instruction below in 2 different ways. Each version must ask for "
        "exactly the same thing, so that the same answer still fits it; vary the wording and "
        "the sentence structure.\n"
        "Write the versions as a numbered list, one version per number, and nothing else.\n\n"
        "Give the capital of the country."
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "1. Stocks climbed.\n2. Share prices went up.",
            ["Stocks climbed.", "Share prices went up."],
        ),
        (
            "Sure! Here are three versions:\n\n1) Stocks climbed.\n\n2) Share prices\nwent up.\n"
            "3) Equities gained.\n4) One too many.",
            ["Stocks climbed.", "Share prices\nwent up.", "Equities gained."],
        ),
        ("**1.** Stocks climbed.\n- Equities gained.", ["Stocks climbed.", "Equities gained."]),
        ("Version 1: Stocks climbed.\nVersion 2: Stocks climbed.", ["Stocks climbed."]),
        ("Stocks climbed.\n\nShare prices went up.", ["Stocks climbed.", "Share prices went up."]),
        ("1. 3.5 million shares changed hands.", ["3.5 million shares changed hands."]),
        ("", []),
        ("   \n", []),
    ],
)
def test_parse_reads_real_shaped_lists(reply: str, expected: list[str]) -> None:
    assert chataug.parse(reply, 3)[0] == expected


def test_paraphrases_keep_the_label_and_link_to_their_source() -> None:
    context = make_context(NEWS, NEWS_SEEDS, accepted=ACCEPTED_NEWS, options={"paraphrases": 2})
    run = drive(METHOD, context, lambda r: "1. Version one.\n2. Version two.", n=6)
    assert len(run.requests) == 3  # three sources, two paraphrases each
    assert sorted(r.key.split("/", 2)[2] for r in run.requests) == [
        "candidate-31",
        "seed-7-0",
        "seed-7-1",
    ]
    assert all(r.params.temperature == 1.0 for r in run.requests)
    drafts = {(r.key.split("/", 2)[2], d.content["text"]): d for r, d in run.drafts}
    seed_draft = drafts["seed-7-1", "Version two."]
    assert seed_draft.content == {"text": "Version two.", "label": "sports"}
    assert seed_draft.label == "sports"
    assert seed_draft.lineage == {
        "source_kind": "seed",
        "seed_id": 7,
        "instance": 1,
        "operation": "paraphrase",
        "generation": 1,
        "number": 2,
    }
    accepted_draft = drafts["candidate-31", "Version one."]
    assert accepted_draft.lineage == {
        "source_kind": "candidate",
        "parent_id": 31,
        "operation": "paraphrase",
        "generation": 2,
        "number": 1,
    }
    assert [c.name for c in accepted_draft.checks] == ["changed", "refusal"]


def test_instruction_paraphrases_keep_input_and_output() -> None:
    context = make_context(TASKS, TASK_SEEDS, options={"paraphrases": 1, "source": "seeds"})
    run = drive(METHOD, context, lambda r: "1. Name the capital city of this country.", n=1)
    [(request, draft)] = run.drafts
    assert draft.content == {
        "instruction": "Name the capital city of this country.",
        "input": "Peru",
        "output": "Lima",
    }
    assert prompt_of(request).endswith("\n\nGive the capital of the country.")


def test_a_copy_of_the_source_is_flagged() -> None:
    context = make_context(NEWS, NEWS_SEEDS, options={"seed_ids": [7], "paraphrases": 2})
    [request, *_] = METHOD.plan(context, 2, random.Random(0))
    source_text = request.context["source"]["content"]["text"]
    outcome = METHOD.read(context, request, f"1. {source_text}\n2. Something new.")
    changed = [d.checks[0] for d in outcome.drafts]
    assert [(c.passed, c.detail) for c in changed] == [
        (False, "identical to its source"),
        (True, ""),
    ]


@pytest.mark.parametrize("reply", ["", "  \n "])
def test_an_empty_reply_is_explained(reply: str) -> None:
    context = make_context(NEWS, NEWS_SEEDS)
    [request] = METHOD.plan(context, 1, random.Random(0))
    assert METHOD.read(context, request, reply).error == "The reply held no paraphrase."


def test_sources_are_chosen_by_the_options() -> None:
    accepted = make_context(
        NEWS, NEWS_SEEDS, accepted=ACCEPTED_NEWS, options={"source": "accepted"}
    )
    assert {r.context["source"]["id"] for r in METHOD.plan(accepted, 12, random.Random(0))} == {31}
    by_id = make_context(NEWS, NEWS_SEEDS, accepted=ACCEPTED_NEWS, options={"candidate_ids": [31]})
    [request] = METHOD.plan(by_id, 1, random.Random(0))
    assert request.context["source"]["kind"] == "candidate"
    # Each source once before any comes round again.
    both = make_context(NEWS, NEWS_SEEDS, accepted=ACCEPTED_NEWS, options={"paraphrases": 1})
    keys = [r.key.split("/", 2)[2] for r in METHOD.plan(both, 6, random.Random(1))]
    assert len(set(keys[:3])) == 3 and len(set(keys[3:])) == 3


def test_unavailable_explains_what_is_missing() -> None:
    assert METHOD.unavailable(make_context(NEWS, NEWS_SEEDS)) is None
    assert (
        METHOD.unavailable(make_context(NEWS)) == "There is no seed or accepted item to start from."
    )
    none_accepted = make_context(NEWS, NEWS_SEEDS, options={"source": "accepted"})
    assert METHOD.unavailable(none_accepted) == "There is no accepted candidate to start from."
    missing = make_context(NEWS, NEWS_SEEDS, options={"seed_ids": [7, 8], "candidate_ids": [5]})
    assert METHOD.unavailable(missing) == (
        "Not found: seed task(s) [8] and accepted candidate(s) [5]."
    )
    too_many = make_context(NEWS, NEWS_SEEDS, options={"paraphrases": 50})
    assert "paraphrases: Input should be less than or equal to 20" in METHOD.unavailable(too_many)


def test_a_cut_chataug_reply_loses_its_last_paraphrase() -> None:
    context = make_context(NEWS, NEWS_SEEDS, options={"seed_ids": [7], "paraphrases": 3})
    [request, *_] = METHOD.plan(context, 3, random.Random(0))
    reply = "1. Markets climbed today.\n2. Stocks went up.\n3. Share prices rose after the"
    outcome = METHOD.read(context, request, reply, "length")
    assert [d.content["text"] for d in outcome.drafts] == [
        "Markets climbed today.",
        "Stocks went up.",
    ]
    whole = METHOD.read(context, request, reply, "stop")
    assert len(whole.drafts) == 3
    assert all("truncated" not in [c.name for c in d.checks] for d in whole.drafts)
