"""Pieces the methods share: the request that answers a new instruction."""

from __future__ import annotations

from seedbed.methods.common import ANSWER_PARAMS, answer_request


def test_the_answer_prompt_is_the_instruction_then_its_input() -> None:
    plain = answer_request("item/0/answer", "Name three primary colours.", "", ANSWER_PARAMS)
    assert [(m.role, m.content) for m in plain.messages] == [
        ("user", "Name three primary colours.")
    ]
    assert plain.stage == "answer" and plain.params == ANSWER_PARAMS
    with_input = answer_request("k", "Add the numbers.", "2 + 3", ANSWER_PARAMS, label="maths")
    assert with_input.messages[0].content == "Add the numbers.\n\n2 + 3"
    # Reading the reply needs the instruction and input back, and what the caller carried.
    assert with_input.context == {
        "instruction": "Add the numbers.",
        "input": "2 + 3",
        "label": "maths",
    }
