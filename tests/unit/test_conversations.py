"""A conversation kept as numbered turns: read in order, counted, cut at an exchange."""

from __future__ import annotations

import pytest

from seedbed.conversations import content_of, cut, exchanges, is_conversation, turns
from seedbed.models import Candidate

CHAT = {
    "user_1": "Hi?",
    "assistant_1": "Hello.",
    "user_2": "Why?",
    "assistant_2": "Because.",
    "user_10": "Last?",
    "assistant_10": "Yes.",
}


def test_turns_come_in_conversation_order_even_past_nine() -> None:
    shuffled = dict(reversed(list(CHAT.items())))
    assert [text for _, text in turns(shuffled)] == list(CHAT.values())
    assert exchanges(CHAT) == 3
    assert is_conversation(CHAT) and not is_conversation({"instruction": "x", "output": "y"})


def test_a_cut_keeps_the_exchanges_up_to_there() -> None:
    assert cut(CHAT, 1) == {"user_1": "Hi?", "assistant_1": "Hello."}
    assert list(cut(CHAT, 3).values()) == list(CHAT.values())
    with pytest.raises(ValueError, match="at least its first exchange"):
        cut(CHAT, 0)


def test_turns_must_alternate_starting_with_the_user() -> None:
    with pytest.raises(ValueError, match="turn 1 should be the user's"):
        content_of([("assistant", "Hello.")])


def test_a_conversation_candidate_reads_as_all_its_turns() -> None:
    candidate = Candidate(project_id=1, method="conversation", content=cut(CHAT, 2))
    assert candidate.text == "Hi?\nHello.\nWhy?\nBecause."
