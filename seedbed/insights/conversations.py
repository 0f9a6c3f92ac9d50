"""Measures of multi-turn conversations: how long they run and how varied their openings are.

The opening (first user turn) is where a conversation's topic is set; when the
openings repeat, so will the conversations, however many turns follow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from seedbed.conversations import exchanges, is_conversation
from seedbed.insights.text_metrics import lexical_measures


@dataclass(frozen=True)
class ConversationStats:
    conversations: int
    by_exchanges: dict[int, int]  # exchanges -> how many conversations have that many
    mean_exchanges: float
    distinct_openings: float  # share of different first user turns (case and spaces ignored)
    opening_distinct_2: float | None  # distinct-2 over the first user turns


def conversation_stats(contents: Iterable[dict[str, str]]) -> ConversationStats | None:
    """Exchanges per conversation and the diversity of first user turns; None: no conversation."""
    chats = [content for content in contents if is_conversation(content)]
    if not chats:
        return None
    counts = Counter(exchanges(content) for content in chats)
    openings = [content["user_1"] for content in chats]
    different = {" ".join(text.lower().split()) for text in openings}
    return ConversationStats(
        conversations=len(chats),
        by_exchanges=dict(sorted(counts.items())),
        mean_exchanges=sum(k * v for k, v in counts.items()) / len(chats),
        distinct_openings=len(different) / len(chats),
        opening_distinct_2=lexical_measures(openings, sizes=(2,)).distinct[2],
    )
