"""The cost tab of Insights: what an accepted item cost per method and per job, and what it added.

So a user sees whether one method's extra tokens buy more useful data than another's.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.embedding import measured
from components.insights.data import costs
from components.state import plain
from seedbed.insights.cost import CostRow
from seedbed.models import Project
from seedbed.store.core import Store


def cost_tab(store: Store, project: Project) -> None:
    st.caption(
        "What each method and each job spent (tokens and dollars, from its requests), how many "
        "of its items were accepted, and how much diversity its accepted items add to the "
        "project's accepted set: APS and Vendi of that set without them (before) and with them "
        "(after). Items made outside a job (imports, previews) have no recorded cost."
    )
    by = st.segmented_control(
        "One row per", ["method", "job"], default="method", key="insights_cost_by"
    )
    table = measured(lambda: costs(store, project, by or "method"))
    if table is None:
        return  # its texts are being embedded: the bar shows how far
    if not table:
        st.info("No generation job has run in this project yet: run one on the Generate page.")
        st.page_link("pages/generate.py", label="Go to Generate", icon=":material/auto_awesome:")
        return
    st.dataframe(cost_frame(table, by or "method"), hide_index=True, width="stretch")
    unpriced = [row.name for row in table if row.cost_usd is None]
    if unpriced:
        st.caption(
            plain(
                "No price for some of the models of "
                + ", ".join(unpriced)
                + ": their money columns are empty (add the model's price on Generate)."
            )
        )


def cost_frame(table: list[CostRow], by: str) -> pd.DataFrame:
    """The table as shown: one row per method or job, figures formatted for reading."""
    return pd.DataFrame(
        [
            {
                by.capitalize(): row.name,
                "Jobs": row.jobs,
                "Items": row.items,
                "Accepted": row.accepted,
                "Acceptance rate": _share(row.acceptance_rate),
                "Tokens": f"{row.tokens:,}",
                "Tokens per accepted": _number(row.tokens_per_accepted, "{:,.0f}"),
                "Cost": _number(row.cost_usd, "${:,.4f}"),
                "Cost per accepted": _number(row.cost_per_accepted, "${:,.5f}"),
                "APS before → after": _pair(row.aps_before, row.aps_after, "{:.3f}"),
                "Vendi before → after": _pair(row.vendi_before, row.vendi_after, "{:.2f}"),
                "Vendi gained per $": _number(row.vendi_gain_per_usd, "{:,.1f}"),
                "Vendi gained per 1M tokens": _number(row.vendi_gain_per_mtok, "{:,.2f}"),
            }
            for row in table
        ]
    )


def _number(value: float | None, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _pair(before: float | None, after: float | None, pattern: str) -> str:
    return f"{_number(before, pattern)} → {_number(after, pattern)}"
