"""How a multi-turn conversation is kept in a candidate's content, and cut.

A candidate's content is a flat dict of strings, so a conversation is kept as
numbered turns in order: {"user_1": ..., "assistant_1": ..., "user_2": ...}.
That way the store, the edit form (one field a turn), the text search and the
review history need nothing new. One exchange is a user turn and the
assistant's reply; a stored conversation always ends with the assistant.

No seedbed import here: models.py reads it (Candidate.text).
"""

from __future__ import annotations

import re

ROLES = ("user", "assistant")
_KEY = re.compile(r"^(user|assistant)_([1-9]\d*)$")


def turn_key(role: str, exchange: int) -> str:
    """The content key of `role`'s turn in exchange `exchange` (from 1)."""
    return f"{role}_{exchange}"


def is_conversation(content: dict[str, str]) -> bool:
    """True when `content` holds turns (its first key is user_1)."""
    return "user_1" in content


def turns(content: dict[str, str]) -> list[tuple[str, str]]:
    """(role, text) of every turn, in conversation order (keys that are not turns ignored)."""
    found = []
    for key, text in content.items():
        match = _KEY.match(key)
        if match:
            order = (int(match.group(2)), ROLES.index(match.group(1)))
            found.append((order, match.group(1), text))
    return [(role, text) for _, role, text in sorted(found)]


def exchanges(content: dict[str, str]) -> int:
    """How many complete exchanges (a user turn and its reply) `content` holds."""
    return sum(1 for role, _ in turns(content) if role == "assistant")


def content_of(messages: list[tuple[str, str]]) -> dict[str, str]:
    """Content for alternating (role, text) turns starting with the user's."""
    content = {}
    for index, (role, text) in enumerate(messages):
        expected = ROLES[index % 2]
        if role != expected:
            raise ValueError(f"turn {index + 1} should be the {expected}'s, not the {role}'s")
        content[turn_key(role, index // 2 + 1)] = text
    return content


def cut(content: dict[str, str], keep: int) -> dict[str, str]:
    """The conversation up to and including exchange `keep` (1 or more)."""
    if keep < 1:
        raise ValueError("A conversation keeps at least its first exchange.")
    return content_of(turns(content)[: 2 * keep])


def as_text(content: dict[str, str]) -> str:
    """Every turn on its own lines, for search, embeddings and similarity."""
    return "\n".join(text for _, text in turns(content) if text)
