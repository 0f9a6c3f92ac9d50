"""The sections of the Insights page; each takes the reports of one or two selections.

`reports` maps a selection's display name to its SelectionReport, in order (A, then B).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import streamlit as st

from components import charts
from components.insights.data import map_coordinates
from components.insights.measures import measures_table
from components.state import plain
from seedbed.insights.compare import Comparison
from seedbed.insights.coverage import combination_counts
from seedbed.insights.metrics import GROWTH_START, umap_available
from seedbed.insights.report import SelectionReport
from seedbed.models import AttributeDimension

Reports = Mapping[str, SelectionReport]


def diversity_tab(reports: Reports, comparison: Comparison | None = None) -> None:
    measures_table(reports, comparison)
    samples = {name: report.pairs for name, report in reports.items()}
    lengths = {name: report.lexical.words_per_text for name, report in reports.items()}
    labelled = {n: r for n, r in reports.items() if len(r.labels.labels) >= 2}
    if labelled:
        st.markdown("##### Similarity within and between labels")
        st.caption(
            "Mean cosine similarity of two items of one label (diagonal) or of two labels. "
            "Off-diagonal cells close to the diagonal: labels the data barely tells apart."
        )
        shades = [np.nanmin(r.labels.matrix) for r in labelled.values()]
        shades += [np.nanmax(r.labels.matrix) for r in labelled.values()]
        zrange = (float(min(shades)), float(max(shades))) if len(reports) > 1 else None
        for column, (name, report) in zip(st.columns(2), labelled.items(), strict=False):
            title = name if len(reports) > 1 else ""
            chart = charts.similarity_matrix(report.labels, title, zrange)
            column.plotly_chart(chart, width="stretch")
    figures = [charts.pair_histogram(samples), _growth(reports), charts.length_histogram(lengths)]
    shown = [figure for figure in figures if figure is not None]
    for start in range(0, len(shown), 2):
        for column, figure in zip(st.columns(2), shown[start : start + 2], strict=False):
            column.plotly_chart(figure, width="stretch")
    _growth_note(reports)
    st.caption(
        " · ".join(
            f"{name}: median {np.median(r.lexical.words_per_text):.0f} words, 10th–90th "
            f"percentile {np.percentile(r.lexical.words_per_text, 10):.0f}–"
            f"{np.percentile(r.lexical.words_per_text, 90):.0f}"
            for name, r in reports.items()
            if r.size
        )
    )


def _growth(reports: Reports) -> object | None:
    """APS as the set grew, for the selections with enough items to draw it."""
    curves = {
        n: (r.growth_sizes, r.growth_aps) for n, r in reports.items() if r.size >= GROWTH_START
    }
    if not curves:
        return None
    return charts.growth_chart(curves, next(iter(reports.values())).growth_order)


def _growth_note(reports: Reports) -> None:
    short = {n: r.size for n, r in reports.items() if r.size < GROWTH_START}
    if short:
        names = ", ".join(f"{plain(n)} has {size:,}" for n, size in short.items())
        st.caption(
            f"APS as the set grew needs at least {GROWTH_START} items, since the APS of a "
            f"handful says little ({names}); it appears once there are more."
        )


def map_tab(reports: Reports) -> int | None:
    """The embedding map; returns the candidate id the user asked to open, if any."""
    frames = [
        report.sample.assign(selection=f"{'AB'[i]} · {name}" if len(reports) > 1 else name)
        for i, (name, report) in enumerate(reports.items())
    ]
    frame = pd.concat(frames, ignore_index=True)
    vectors = np.vstack([report.sample_vectors for report in reports.values()])
    fields = colour_fields(frame)
    if st.session_state.get("insights_colour") not in fields:
        st.session_state.pop("insights_colour", None)  # a choice this map cannot draw
    left, middle = st.columns([2, 1])
    colour = left.selectbox(
        "Colour by",
        fields or ["nothing"],
        key="insights_colour",
        help="Only fields that tell the shown points apart are offered.",
    )
    methods = ["PCA", "UMAP"] if umap_available() else ["PCA"]
    method = middle.radio("Projection", methods, horizontal=True, key="insights_projection")
    if not umap_available():
        middle.caption("UMAP appears here when umap-learn is installed.")
    points = map_coordinates(vectors, method)
    frame = frame.assign(x=points[:, 0], y=points[:, 1])
    shown = sum(len(r.sample) for r in reports.values())
    total = sum(r.size for r in reports.values())
    title = f"{method} of the sentence embeddings: {shown:,} of {total:,} items"
    title += " (a random sample)" if shown < total else ""
    title += f", coloured by {colour}" if fields else ""
    event = st.plotly_chart(
        charts.embedding_map(frame, colour if fields else None, title),
        width="stretch",
        key="insights_map",
        on_select="rerun",
        selection_mode=("points", "box", "lasso"),
    )
    return _open_picker(frame, event)


def colour_fields(frame: pd.DataFrame) -> list[str]:
    """The fields the map can colour by: those with two values or more among its points."""
    fields = ["selection", "label", "method", "status", "annotator", "job"]
    fields += [c for c in frame.columns if c.startswith("attribute: ")]
    return [f for f in fields if f in frame.columns and frame[f].astype(str).nunique() > 1]


def _open_picker(frame: pd.DataFrame, event: object) -> int | None:
    selected = []
    selection = getattr(event, "selection", None) or {}
    for point in selection.get("points", []):
        data = point.get("customdata") or []
        if data:
            selected.append(int(data[0]))
    candidates = frame[frame["id"].isin(selected)] if selected else frame
    candidates = candidates.drop_duplicates("id").sort_values("id")
    snippets = dict(zip(candidates["id"], candidates["text"], strict=True))
    where = f"{len(snippets):,} selected" if selected else "any point on the map"
    st.caption(f"Click a point, or lasso several, then open one in Review ({where}).")
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Candidate",
        list(snippets),
        format_func=lambda cid: f"#{cid} · {snippets[cid][:90]}",
        key="insights_open_choice",
    )
    if right.button("Open in Review", key="insights_open", width="stretch") and chosen:
        return int(chosen)
    return None


def coverage_tab(reports: Reports, dimensions: list[AttributeDimension]) -> None:
    balances = {name: report.balance for name, report in reports.items()}
    if any(balance.counts for balance in balances.values()):
        st.plotly_chart(charts.label_bars(balances), width="stretch")
    if not dimensions:
        st.info("This project has no attribute dimensions: add some on the Attributes page.")
        return
    st.markdown("##### Attribute coverage against the target weights")
    st.caption(
        "For each dimension, the share of each value among the selected items against the "
        "share AttrPrompt's weights ask for (per label where a dimension has per-label values). "
        "KL divergence: 0 when they match. The chi-square test asks whether the gap is more "
        "than chance; a small p-value means a real skew."
    )
    st.dataframe(_coverage_summary(reports), hide_index=True, width="stretch")
    names = [dimension.name for dimension in dimensions]
    name = st.selectbox("Dimension", names, key="insights_dimension")
    position = names.index(name)
    coverages = {n: r.coverage[position] for n, r in reports.items() if r.coverage[position].items}
    if coverages:
        st.plotly_chart(charts.coverage_bars(coverages), width="stretch")
    else:
        st.info(plain(f"No selected item carries a value for {name}."))
    _combinations(reports, dimensions)


def _combinations(reports: Reports, dimensions: list[AttributeDimension]) -> None:
    st.markdown("##### Items per combination of two dimensions")
    st.caption("Empty cells are combinations the data never covers: this is where bias shows.")
    names = [dimension.name for dimension in dimensions]
    by_name = dict(zip(names, dimensions, strict=True))
    # Defaults: the most skewed dimension (highest KL in A) across, the smallest one down.
    first_report = next(iter(reports.values()))
    skew = [coverage.kl_divergence or 0.0 for coverage in first_report.coverage]
    across = names[skew.index(max(skew))]
    sizes = {n: len(offered_values(by_name[n])) for n in names if n != across} or {across: 0}
    down = min(sizes, key=sizes.get)
    left, right = st.columns(2)
    first = left.selectbox("Rows", names, index=names.index(down), key="insights_heat_rows")
    second = right.selectbox(
        "Columns", names, index=names.index(across), key="insights_heat_columns"
    )
    for position, (n, report) in enumerate(reports.items()):  # full width: many columns
        table = combination_counts(report.attributes, by_name[first], by_name[second])
        title = f"{'AB'[position]} · {n}" if len(reports) > 1 else ""
        if table.to_numpy().sum() == 0:
            st.info(plain(f"{title or n}: no item has both {first} and {second}."))
            continue
        chart = charts.combination_heatmap(table, first, second, title)
        st.plotly_chart(chart, width="stretch")


def offered_values(dimension: AttributeDimension) -> set[str]:
    """Every value a dimension offers, shared and per label."""
    values = {v.value for v in dimension.values}
    return values | {v.value for vs in dimension.per_label.values() for v in vs}


def _coverage_summary(reports: Reports) -> pd.DataFrame:
    rows = []
    for position, report in enumerate(reports.values()):
        for coverage in report.coverage:
            rows.append(
                {
                    **({"Selection": "AB"[position]} if len(reports) > 1 else {}),
                    "Dimension": coverage.dimension,
                    "Items": coverage.items,
                    "KL divergence": _rounded(coverage.kl_divergence, 3),
                    "Chi-square": _rounded(coverage.chi_square, 1),
                    # Text like its neighbours: a column of numbers and dashes is not
                    # one type for the table (pyarrow warned and converted it).
                    "df": str(coverage.degrees_of_freedom or "–"),
                    "p-value": _p_value(coverage.p_value),
                    "Off-target values": coverage.off_target,
                    "Without the attribute": coverage.missing,
                }
            )
    return pd.DataFrame(rows)


def _rounded(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _p_value(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
