"""Plotly figure builders for the Insights page."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
from plotly.graph_objects import Figure

STATUS_COLOURS = {"pending": "#b0b7c3", "accepted": "#2f7d4f", "rejected": "#c0392b"}


def status_bar(counts: dict[str, int]) -> Figure:
    frame = pd.DataFrame({"status": list(counts), "candidates": list(counts.values())})
    figure = px.bar(
        frame, x="status", y="candidates", color="status", color_discrete_map=STATUS_COLOURS
    )
    figure.update_layout(showlegend=False, height=280, margin={"t": 10, "b": 10})
    return figure


def embedding_map(frame: pd.DataFrame, colour: str) -> Figure:
    """A 2-D scatter of the embeddings; the text shows on hover (plotly escapes it)."""
    figure = px.scatter(
        frame,
        x="x",
        y="y",
        color=colour,
        hover_data={"snippet": True, "x": False, "y": False},
    )
    figure.update_traces(marker={"size": 9, "opacity": 0.8})
    figure.update_layout(
        height=520,
        margin={"t": 10},
        xaxis_title="component 1",
        yaxis_title="component 2",
        legend_title_text=colour,
    )
    return figure
