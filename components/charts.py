"""Plotly figure builders for the Insights page: one look for every chart.

Model text only reaches a chart as hover text, escaped here first: plotly reads a few HTML
tags in hover labels, and generated text must never be markup.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.graph_objects import Figure

from seedbed.insights.coverage import DimensionCoverage, LabelBalance
from seedbed.insights.metrics import LabelSimilarity, PairSample

STATUS_COLOURS = {"pending": "#b0b7c3", "accepted": "#2f7d4f", "rejected": "#c0392b"}
# Selection A, selection B: the same two colours on every chart.
SELECTION_COLOURS = ["#2f7d4f", "#d08a1e"]
TARGET_COLOUR = "#1f2933"
CATEGORY_COLOURS = px.colors.qualitative.Bold + px.colors.qualitative.Pastel


def _style(figure: Figure, height: int, title: str = "") -> Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        title={"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        font={"size": 13},
        margin={"t": 48 if title else 16, "b": 8, "l": 8, "r": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return figure


def _inside_legend(figure: Figure, show: bool) -> Figure:
    """A legend inside the plot's top right corner: long names never push the plot aside."""
    figure.update_layout(
        showlegend=show,
        legend={
            "orientation": "v",
            "y": 0.98,
            "yanchor": "top",
            "x": 0.99,
            "xanchor": "right",
            "bgcolor": "rgba(255,255,255,0.85)",
        },
    )
    return figure


def hover_text(text: str, width: int = 70, limit: int = 420) -> str:
    """Model text made safe and readable for a hover label: escaped, shortened, wrapped."""
    short = text if len(text) <= limit else text[:limit].rstrip() + " …"
    lines = textwrap.wrap(short, width) or [""]
    return "<br>".join(html.escape(line, quote=False) for line in lines[:8])


def embedding_map(frame: pd.DataFrame, colour: str | None, title: str = "") -> Figure:
    """A 2-D scatter of the embeddings (columns x, y, id, text and the colour field).

    The legend is titled with the field it colours by; None draws every point alike.
    Each point carries its candidate id (customdata) so a click can open it.
    """
    frame = frame.assign(hover=[hover_text(text) for text in frame["text"]])
    figure = px.scatter(
        frame,
        x="x",
        y="y",
        color=frame[colour].astype(str) if colour else None,
        custom_data=["id", "hover", *([colour] if colour else [])],
        render_mode="webgl",
        color_discrete_map=STATUS_COLOURS if colour == "status" else {},
        color_discrete_sequence=(SELECTION_COLOURS if colour == "selection" else CATEGORY_COLOURS),
    )
    figure.update_traces(
        marker={"size": 8, "opacity": 0.78, "line": {"width": 0}},
        hovertemplate="<b>#%{customdata[0]}</b>"
        + (" · %{customdata[2]}" if colour else "")
        + "<br>%{customdata[1]}<extra></extra>",
    )
    figure.update_layout(legend_title_text=html.escape(colour or ""))
    figure.update_xaxes(title="", showticklabels=False, zeroline=False)
    figure.update_yaxes(title="", showticklabels=False, zeroline=False)
    return _style(figure, 560, html.escape(title))


def similarity_matrix(
    similarity: LabelSimilarity, title: str = "", zrange: tuple[float, float] | None = None
) -> Figure:
    """Mean cosine similarity within (diagonal) and between labels.

    Side by side matrices share `zrange`, so one shade means one similarity in both.
    """
    figure = px.imshow(
        pd.DataFrame(similarity.matrix, index=similarity.labels, columns=similarity.labels),
        text_auto=".2f",
        color_continuous_scale="Greens",
        aspect="auto",
        zmin=zrange[0] if zrange else None,
        zmax=zrange[1] if zrange else None,
    )
    figure.update_traces(hovertemplate="%{y} × %{x}: %{z:.3f}<extra></extra>")
    figure.update_layout(coloraxis_showscale=False)
    return _style(figure, 150 + 46 * len(similarity.labels), html.escape(title))


def _pairs_text(count: int, possible: int) -> str:
    if count >= possible:
        return f"all {possible:,} pairs"
    return f"{count:,} random of {possible:,} pairs"


def pair_histogram(samples: Mapping[str, PairSample]) -> Figure:
    """Overlaid histograms of pair similarities; how many pairs (sampled or all) in the legend."""
    figure = go.Figure()
    single = len(samples) == 1
    sampled = False
    for position, (name, sample) in enumerate(samples.items()):
        # Without labels every item shares the one "no label": its pairs are all pairs.
        kind = "same label" if sample.labelled else ""
        parts = [(kind, sample.same_label, sample.same_possible)]
        if single and sample.labelled:
            parts.append(("different labels", sample.different_label, sample.different_possible))
        for part, (kind, values, possible) in enumerate(parts):
            if len(values) == 0:
                continue
            sampled = sampled or len(values) < possible
            legend = _pairs_text(len(values), possible)
            legend = f"{kind}: {legend}" if kind else legend
            figure.add_histogram(
                x=values,
                name=legend if single else f"{html.escape(name)}, {legend}",
                histnorm="probability",
                xbins={"start": -1.0, "end": 1.0, "size": 0.025},
                marker_color="#8a96a3" if part else SELECTION_COLOURS[position % 2],
                opacity=0.6,
            )
    figure.update_layout(barmode="overlay", bargap=0.02)
    figure.update_xaxes(title="cosine similarity of two items")
    figure.update_yaxes(title="share of pairs", tickformat=".0%")
    title = "Similarity of pairs of items" + (" (sampled)" if sampled else "")
    return _inside_legend(_style(figure, 380, title), True)


def growth_chart(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], order: str) -> Figure:
    """APS of the first k items, as the set grew."""
    figure = go.Figure()
    for position, (name, (sizes, values)) in enumerate(curves.items()):
        figure.add_scatter(
            x=sizes,
            y=values,
            name=name,
            mode="lines",
            line={"color": SELECTION_COLOURS[position % 2], "width": 2.5},
            hovertemplate="first %{x:,} items: APS %{y:.3f}<extra>"
            + html.escape(name)
            + "</extra>",
        )
    top = max([float(np.nanmax(values)) for _, values in curves.values() if len(values)] or [1])
    figure.update_xaxes(title=f"items, in {order} order", rangemode="tozero")
    # From 0: small wobbles of a stable set should look small.
    figure.update_yaxes(title="APS (lower is more diverse)", range=[0, max(top, 0) * 1.15 + 0.01])
    return _inside_legend(_style(figure, 380, "APS as the set grew"), len(curves) > 1)


def length_histogram(lengths: Mapping[str, np.ndarray]) -> Figure:
    """Words per item; every selection uses the same bins, so the bars line up."""
    figure = go.Figure()
    values = [v for v in lengths.values() if len(v)]
    low = min((int(v.min()) for v in values), default=0)
    high = max((int(v.max()) for v in values), default=1)
    size = max(1, int(np.ceil((high - low + 1) / 40)))
    for position, (name, words) in enumerate(lengths.items()):
        figure.add_histogram(
            x=words,
            name=name,
            histnorm="probability",
            marker_color=SELECTION_COLOURS[position % 2],
            opacity=0.65,
            xbins={"start": low - 0.5, "end": high + 0.5, "size": size},
        )
    figure.update_layout(barmode="overlay", bargap=0.03)
    figure.update_xaxes(title="words per item")
    figure.update_yaxes(title="share of items", tickformat=".0%")
    return _inside_legend(_style(figure, 380, "Length distribution"), len(lengths) > 1)


def label_bars(balances: Mapping[str, LabelBalance]) -> Figure:
    """Share of items per label, one bar per selection; equal shares as a dotted line."""
    figure = go.Figure()
    labels: list[str] = []
    for position, (name, balance) in enumerate(balances.items()):
        total = sum(balance.counts.values()) or 1
        labels = list(dict.fromkeys([*labels, *balance.counts]))
        figure.add_bar(
            x=list(balance.counts),
            y=[count / total for count in balance.counts.values()],
            name=name,
            marker_color=SELECTION_COLOURS[position % 2],
            customdata=list(balance.counts.values()),
            hovertemplate="%{x}: %{customdata:,} items (%{y:.1%})<extra></extra>",
        )
    if labels:
        figure.add_hline(
            y=1 / len(labels), line_dash="dot", line_color=TARGET_COLOUR, annotation_text="even"
        )
    figure.update_layout(barmode="group", showlegend=len(balances) > 1)
    figure.update_yaxes(title="share of items", tickformat=".0%")
    return _style(figure, 320, "Label balance")


def coverage_bars(coverages: Mapping[str, DimensionCoverage]) -> Figure:
    """Observed share of each value per selection, against the target share (black ticks)."""
    figure = go.Figure()
    target: pd.DataFrame | None = None
    for position, (name, coverage) in enumerate(coverages.items()):
        table = coverage.table
        figure.add_bar(
            x=table["value"],
            y=table["share"],
            name=name,
            marker_color=SELECTION_COLOURS[position % 2],
            customdata=table["count"],
            hovertemplate="%{x}: %{customdata:,} items (%{y:.1%})<extra></extra>",
        )
        target = table if target is None else target
    if target is not None:
        figure.add_scatter(
            x=target["value"],
            y=target["target_share"],
            mode="markers",
            name="target",
            marker={"symbol": "line-ew", "size": 26, "line": {"width": 3, "color": TARGET_COLOUR}},
            hovertemplate="%{x}: target %{y:.1%}<extra></extra>",
        )
    many = target is not None and len(target) > 8
    figure.update_layout(barmode="group", bargap=0.25)
    figure.update_xaxes(tickangle=-40 if many else 0)
    figure.update_yaxes(title="share of items", tickformat=".0%")
    return _style(figure, 420 if many else 340)


def combination_heatmap(table: pd.DataFrame, first: str, second: str, title: str = "") -> Figure:
    """Accepted items per pair of values; empty cells are combinations never produced."""
    dense = table.shape[0] * table.shape[1] > 400  # numbers would not fit in the cells
    figure = px.imshow(
        table,
        text_auto=not dense,
        color_continuous_scale="Greens",
        aspect="auto",
        zmin=0,
        zmax=max(1, int(table.to_numpy().max())),
    )
    names = html.escape(first), html.escape(second)
    figure.update_traces(
        hovertemplate=f"{names[0]}: %{{y}}<br>{names[1]}: %{{x}}<br>%{{z:,}} items<extra></extra>"
    )
    figure.update_layout(coloraxis_showscale=False)
    rotated = len(table.columns) > 8
    figure.update_xaxes(title=html.escape(second), tickangle=-40 if rotated else 0, side="bottom")
    figure.update_yaxes(title=html.escape(first))
    height = 90 + 34 * len(table.index) + (130 if rotated else 40) + (30 if title else 0)
    return _style(figure, height, html.escape(title))


def confusion_heatmap(labels: list[str], matrix: np.ndarray) -> Figure:
    figure = px.imshow(
        pd.DataFrame(matrix, index=labels, columns=labels),
        text_auto=True,
        color_continuous_scale="Greens",
        aspect="auto",
    )
    figure.update_traces(
        hovertemplate="real %{y}, predicted %{x}: %{z:,}<extra></extra>",
    )
    figure.update_layout(coloraxis_showscale=False)
    figure.update_xaxes(title="predicted label")
    figure.update_yaxes(title="real label")
    return _style(figure, 140 + 44 * len(labels), "Confusion matrix")
