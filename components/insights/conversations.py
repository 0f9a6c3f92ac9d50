"""The Insights page's conversations section: exchanges per conversation, varied openings."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from components.state import plain
from seedbed.insights.conversations import ConversationStats, conversation_stats
from seedbed.methods.conversation import METHOD
from seedbed.models import CandidateFilter, Project
from seedbed.store.core import Store


def selection_conversations(
    store: Store, project: Project, where: CandidateFilter
) -> ConversationStats | None:
    """The stats of the conversations in a selection (None when it holds none)."""
    if where.methods and METHOD not in where.methods:
        return None
    only = where.model_copy(update={"methods": [METHOD]})
    return conversation_stats(c.final_content for c in store.iter_candidates(project.id, only))


def conversations_section(stats: Mapping[str, ConversationStats]) -> None:
    """Per selection: how many exchanges conversations run, and how varied their openings are."""
    for name, found in stats.items():
        if len(stats) > 1:
            st.subheader(plain(name))
        cards = st.columns(4)
        cards[0].metric("Conversations", f"{found.conversations:,}")
        cards[1].metric("Exchanges per conversation", f"{found.mean_exchanges:.1f}")
        cards[2].metric(
            "Different first user turns",
            f"{found.distinct_openings:.0%}",
            help="Share of conversations whose opening no other one has (case and spaces "
            "ignored): repeated openings make repeated conversations.",
        )
        distinct = found.opening_distinct_2
        cards[3].metric(
            "Distinct-2 of first user turns",
            "–" if distinct is None else f"{distinct:.3f}",
            help="Different word pairs over all word pairs of the openings (Li et al., 2016).",
        )
        frame = pd.DataFrame(
            {"conversations": list(found.by_exchanges.values())},
            index=pd.Index(list(found.by_exchanges), name="exchanges"),
        )
        st.bar_chart(frame, x_label="exchanges (user turn + reply)", y_label="conversations")
