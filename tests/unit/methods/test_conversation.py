"""Conversations: a simulated user and an assistant alternate; prompts, parsing and turns."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import METHODS
from seedbed.methods.conversation import (
    assistant_messages,
    opening_messages,
    parse_user_turn,
    user_messages,
)
from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    Instance,
    Message,
    Project,
    ProjectKind,
    SeedTask,
)
from tests.method_driver import accepted_candidate, drive, make_context, prompt_of

METHOD = METHODS["conversation"]
TASKS = Project(id=2, name="Tasks")
SEEDS = [
    SeedTask(
        id=3,
        instruction="Give the capital of the country.",
        instances=[Instance(input="Peru", output="Lima")],
    )
]
SYSTEM = (
    "You are a helpful, knowledgeable assistant. Answer the user's latest message fully and "
    "accurately, building on what was said earlier in the conversation."
)
QUESTIONS = [
    "",
    "Which city is the capital of Peru?",
    "How big is it?",
    "What should I eat there?",
    "When is it rainy?",
]
ANSWERS = [
    "",
    "Lima is the capital.",
    "About ten million people live in the metropolitan area.",
    "Try ceviche, lomo saltado and anticuchos from a street stall.",
    "Lima barely gets rain; winter brings grey drizzle called garua.",
]
TONE = AttributeDimension(name="tone", values=[AttributeValue(value="playful")])


def numbered_replies(request) -> str:
    """Distinct turns, so no repeated-turn flag: the exchange number is in the key."""
    number = int(request.key.rsplit("/", 1)[1])
    if request.stage == "user":
        return f"User: {QUESTIONS[number]}"
    return ANSWERS[number]


# -- prompts ------------------------------------------------------------------------------
def test_the_assistant_sees_the_conversation_as_chat_messages_after_a_system_prompt() -> None:
    turns = [("user", "Hi?"), ("assistant", "Hello."), ("user", "Why?")]
    assert assistant_messages(turns) == [
        Message(role="system", content=SYSTEM),
        Message(role="user", content="Hi?"),
        Message(role="assistant", content="Hello."),
        Message(role="user", content="Why?"),
    ]


def test_the_user_simulator_prompt_is_exact() -> None:
    [message] = user_messages([("user", "Name a river."), ("assistant", "The Nile.")])
    assert message.role == "user"
    assert message.content == (
        "You are role-playing a person chatting with an AI assistant. The conversation so far:\n"
        "\n"
        "Person: Name a river.\n"
        "\n"
        "Assistant: The Nile.\n"
        "\n"
        "Write the person's next message: a follow-up question or request that builds on the "
        "assistant's last reply (more detail, a clarification, an example, a change, or a "
        "related task). Ask; do not answer it yourself, and do not only say thanks.\n"
        'Reply with the message only, without "Person:" or any comment.'
    )


def test_the_opening_prompt_names_the_label_and_each_attribute() -> None:
    [message] = opening_messages("travel", {"tone": "playful", "length": "short"})
    assert message.content == (
        "You are role-playing a person about to chat with an AI assistant. Write the first "
        'message this person sends: one question or request about "travel". It must meet '
        "every requirement below:\n"
        "1. Tone: playful.\n"
        "2. Length: short.\n"
        'Write as the person, in the first person. Reply with the message only, without "User:" '
        "or any comment."
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("What about Chile?", "What about Chile?"),
        ("User: What about Chile?", "What about Chile?"),
        ("**Person:** What about Chile?", "What about Chile?"),
        ('Sure! Here is the next message:\n"What about Chile?"', "What about Chile?"),
        ("What about Chile?\nAssistant: Santiago.", "What about Chile?"),
        ("   ", ""),
    ],
)
def test_a_user_turn_is_read_without_prefixes_or_an_invented_answer(reply, expected) -> None:
    assert parse_user_turn(reply) == expected


# -- runs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("exchanges", [1, 2, 4])
def test_a_conversation_from_a_seed_has_the_chosen_number_of_exchanges(exchanges) -> None:
    context = make_context(TASKS, SEEDS, options={"exchanges": exchanges, "source": "seeds"})
    run = drive(METHOD, context, numbered_replies, n=1)

    assert run.stages() == ["assistant"] + ["user", "assistant"] * (exchanges - 1)
    [content] = run.contents()
    expected = {"user_1": "Give the capital of the country.\n\nPeru", "assistant_1": ANSWERS[1]}
    for number in range(2, exchanges + 1):
        expected[f"user_{number}"] = QUESTIONS[number]
        expected[f"assistant_{number}"] = ANSWERS[number]
    assert content == expected
    [(_, draft)] = run.drafts
    assert draft.lineage == {
        "source_kind": "seed",
        "seed_id": 3,
        "start": "item",
        "exchanges": exchanges,
    }
    assert all(check.passed for check in draft.checks), draft.checks
    # Each assistant request carries every earlier turn.
    last = run.requests[-1]
    assert [m.role for m in last.messages] == ["system"] + ["user", "assistant"] * (
        exchanges - 1
    ) + ["user"]


def test_an_accepted_instruction_opens_with_its_instruction() -> None:
    accepted = accepted_candidate(
        9, content={"instruction": "Summarise the plot of Hamlet.", "input": "", "output": "x"}
    )
    context = make_context(TASKS, accepted=[accepted], options={"source": "accepted"})
    run = drive(METHOD, context, numbered_replies, n=1)
    [content] = run.contents()
    assert content["user_1"] == "Summarise the plot of Hamlet."
    assert run.drafts[0][1].lineage["parent_id"] == 9


def test_attributes_open_with_the_user_simulator() -> None:
    context = make_context(
        TASKS, dimensions=[TONE], options={"start": "attributes", "exchanges": 2}
    )
    run = drive(METHOD, context, numbered_replies, n=2)
    assert run.stages()[:2] == ["user", "user"]
    assert "1. Tone: playful." in prompt_of(run.requests[0])
    assert len(run.drafts) == 2
    for _, draft in run.drafts:
        assert draft.attributes == {"tone": "playful"}
        assert list(draft.content) == ["user_1", "assistant_1", "user_2", "assistant_2"]


def test_an_empty_turn_ends_the_conversation_flagged_for_a_cut() -> None:
    context = make_context(TASKS, SEEDS, options={"exchanges": 3})

    def reply(request) -> str:
        return "   " if request.stage == "user" else "Lima is the capital of Peru."

    run = drive(METHOD, context, reply)
    [content] = run.contents()
    assert content == {
        "user_1": "Give the capital of the country.\n\nPeru",
        "assistant_1": "Lima is the capital of Peru.",
        "user_2": "",
        "assistant_2": "",
    }


def test_an_empty_opening_is_an_explained_error() -> None:
    context = make_context(TASKS, dimensions=[TONE], options={"start": "attributes"})
    run = drive(METHOD, context, lambda request: "")
    assert run.drafts == []
    assert [error for _, error in run.errors] == ["The user simulator's opening message was empty."]


def test_repeats_refusals_and_a_user_who_answers_are_flagged_by_turn() -> None:
    context = make_context(TASKS, SEEDS, options={"exchanges": 3})

    def reply(request) -> str:
        if request.stage == "user":
            return "Sure! Lima has about ten million people and lies on the coast."
        return "I'm sorry, I cannot help with that."

    run = drive(METHOD, context, reply)
    checks = {check.name: check for check in run.drafts[0][1].checks}
    assert not checks["refusal"].passed
    assert checks["refusal"].detail.startswith("assistant 1: contains 'I'm sorry'")
    assert not checks["repeated_turn"].passed
    assert "user 3 repeats an earlier user turn" in checks["repeated_turn"].detail
    assert not checks["user_asks"].passed
    assert checks["user_asks"].detail == (
        "user 2 answers instead of asking; user 3 answers instead of asking"
    )


def test_follow_up_keys_keep_the_engines_round_prefix() -> None:
    context = make_context(TASKS, SEEDS, options={"exchanges": 2})
    [first] = METHOD.plan(context, 1, random.Random(0))
    first = first.model_copy(update={"key": f"r1/{first.key}"})
    [follow_up] = METHOD.read(context, first, "Lima.").follow_ups
    assert follow_up.key == "r1/c0/seed-3/user/2"
    assert follow_up.stage == "user"


def test_each_role_is_its_own_stage_with_its_own_sampling() -> None:
    assert METHOD.stages == ("user", "assistant")
    context = make_context(
        TASKS, SEEDS, options={"params": {"user": {"temperature": 0.3}}, "exchanges": 2}
    )
    run = drive(METHOD, context, numbered_replies)
    by_stage = {request.stage: request.params for request in run.requests}
    assert by_stage["user"].temperature == 0.3
    assert by_stage["assistant"].max_tokens == 1024


def test_what_the_method_cannot_start_from_is_said() -> None:
    news = Project(id=1, name="News", kind=ProjectKind.CLASSIFICATION, labels=["a", "b"])
    assert "labels texts" in METHOD.unavailable(make_context(news, SEEDS))
    assert METHOD.unavailable(make_context(TASKS, options={"source": "seeds"})) == (
        "There is no seed task to start from."
    )
    no_values = make_context(TASKS, SEEDS, options={"start": "attributes"})
    assert "dimensions with values" in METHOD.unavailable(no_values)
    assert METHOD.unavailable(make_context(TASKS, SEEDS, options={"exchanges": 0})).startswith(
        "Invalid options. exchanges"
    )


def test_a_turn_cut_at_its_token_limit_flags_the_finished_conversation() -> None:
    context = make_context(TASKS, SEEDS, options={"exchanges": 2, "source": "seeds"})
    [first] = METHOD.plan(context, 1, random.Random(0))
    # The first answer is cut; the conversation goes on, and the finished one says so.
    outcome = METHOD.read(context, first, ANSWERS[1], finish_reason="length")
    [question] = outcome.follow_ups
    [answer] = METHOD.read(context, question, QUESTIONS[2]).follow_ups
    [draft] = METHOD.read(context, answer, ANSWERS[2]).drafts
    [cut] = [check for check in draft.checks if check.name == "truncated"]
    assert not cut.passed
    whole = drive(METHOD, make_context(TASKS, SEEDS, options={"exchanges": 2}), numbered_replies)
    assert "truncated" not in [check.name for _, d in whole.drafts for check in d.checks]
