"""The Insights headline cards and the table of every measure, for one selection or two.

With two selections, B's changes are read at equal size (components/insights/data.comparison):
a measure that grows with the number of items is never credited to the larger set, and a
difference the noise of that size could make is said to be within the noise, never coloured.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import streamlit as st

from components.state import plain
from seedbed.insights.compare import Comparison, Interval, MeasureComparison
from seedbed.insights.report import MEASURES, SelectionReport

Reports = Mapping[str, SelectionReport]
HEADLINE = ["aps", "vendi", "vocabulary", "ingf", "distinct_2", "compression"]


def format_value(key: str, value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if key == "vocabulary":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if key == "ingf":
        return f"{value:.1%}" if value >= 0.01 else f"{value:.3%}"
    if key in ("vendi", "words"):
        return f"{value:,.1f}"
    if key == "compression":
        return f"{value:.2f}"
    return f"{value:.3f}"


def headline(reports: Reports, comparison: Comparison | None = None) -> None:
    """The six main measures as metric cards, one row per selection; B shows its change."""
    if comparison is not None:
        st.caption(_equal_size_note(reports, comparison))
    for position, (name, report) in enumerate(reports.items()):
        prefix = f"**{'AB'[position]}** · " if len(reports) > 1 else ""
        st.markdown(f"{prefix}{plain(name)} · {report.size:,} items")
        columns = st.columns(len(HEADLINE))
        for column, key in zip(columns, HEADLINE, strict=True):
            info, value = MEASURES[key], report.values.get(key)
            compared = comparison.measures.get(key) if comparison and position else None
            delta, colour, note = _delta(key, compared, comparison)
            colour = colour or ("inverse" if info.better == "lower" else "normal")
            explanation = f"{info.name}: {info.explanation}"
            if info.better:
                explanation += f" {info.better.capitalize()} is better."
            column.metric(
                info.short or info.name,
                format_value(key, value),
                delta=delta,
                delta_color=colour,
                help=f"{explanation} {note}".strip(),
                border=True,
            )


def _delta(
    key: str, compared: MeasureComparison | None, comparison: Comparison | None
) -> tuple[str | None, str, str]:
    """B's change against A at equal size (short, for the card), its colour, and a note.

    A change within the noise reads "≈ A" and is grey ("off"): never a green improvement.
    """
    if compared is None or comparison is None:
        return None, "", ""
    signed = _signed(key, compared.difference)
    note = f"B vs A at equal size ({comparison.size:,} items each): {signed}, "
    if compared.within_noise:
        return f"{signed} ≈ A", "off", note + "within the noise."
    return f"{signed} vs A", "", note + "beyond the noise."


def _equal_size_note(reports: Reports, comparison: Comparison) -> str:
    sizes = [report.size for report in reports.values()]
    if len(set(sizes)) == 1 and comparison.size == sizes[0]:
        how = f"both have {comparison.size:,} items"
    else:
        how = f"each as {comparison.size:,} random items, {comparison.draws} draws"
    return (
        f"B's changes are read at equal size ({how}): the cards show each whole selection. "
        "A change is within the noise when random splits of both selections pooled together "
        "differ as much 1 time in 20 or more; it then reads “≈ A”, in grey."
    )


def _signed(key: str, difference: float) -> str:
    text = format_value(key, abs(difference))
    return ("+" if difference >= 0 else "-") + text  # Streamlit reads the ASCII sign


def measures_table(reports: Reports, comparison: Comparison | None = None) -> None:
    """Every measure, each with its one-line explanation (and A and B at equal size)."""
    rows = []
    for key, info in MEASURES.items():
        row = {"Measure": info.name}
        for position, report in enumerate(reports.values()):
            row["AB"[position] if len(reports) > 1 else "Value"] = format_value(
                key, report.values.get(key)
            )
        if comparison is not None:
            row.update(_equal_size_columns(key, comparison))
        row["Better"] = {"lower": "lower", "higher": "higher"}.get(info.better, "")
        row["What it means"] = info.explanation
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    notes = []
    for name, report in reports.items():
        if report.compression.sampled:
            notes.append(
                f"{name}: compression estimated on a random {report.compression.texts_used:,} "
                f"of {report.size:,} items (about 1 MB; gzip only looks back 32 KB)."
            )
    if comparison is not None:
        notes.append(
            f"At {comparison.size:,} items: the mean of {comparison.draws} random subsets, with "
            "the middle 95% of them in brackets."
        )
    total = sum(sum(report.timings.values()) for report in reports.values())
    notes.append(
        f"Exact over every item, without an n × n matrix; computed in {total:.2f} s "
        "(embeddings aside). Embeddings: all-MiniLM-L6-v2."
    )
    st.caption(" ".join(notes))


def _equal_size_columns(key: str, comparison: Comparison) -> dict[str, str]:
    at = f"at {comparison.size:,}"
    compared = comparison.measures.get(key)
    if compared is None:
        return {f"A {at}": "–", f"B {at}": "–", "B vs A": ""}
    if compared.within_noise:
        verdict = "within the noise"
    else:
        verdict = "B higher" if compared.difference > 0 else "B lower"
    return {
        f"A {at}": _interval(key, compared.a),
        f"B {at}": _interval(key, compared.b),
        "B vs A": verdict,
    }


def _interval(key: str, interval: Interval) -> str:
    mean = format_value(key, interval.mean)
    if interval.high - interval.low < 1e-12:
        return mean
    return f"{mean} ({format_value(key, interval.low)}–{format_value(key, interval.high)})"
