"""The estimate of a job as configured, on Generate before it starts."""

from __future__ import annotations

import streamlit as st

from components.job_progress import duration
from components.state import plain
from seedbed.jobs.estimate import estimate_job, latest_preview
from seedbed.jobs.pricing import load_prices
from seedbed.jobs.state import JobSettings
from seedbed.models import Project
from seedbed.store.core import Store


def job_estimate(store: Store, project: Project, settings: JobSettings) -> None:
    """Tokens, US dollars (not for a local server) and time, scaled from the last preview."""
    preview = latest_preview(store, project.id, settings.method)
    estimate = estimate_job(store, preview, settings, load_prices(store)) if preview else None
    if estimate is None:
        st.caption(
            "Generate a preview of this method first: its token counts give the estimate "
            "of the job's tokens, cost and time."
        )
        return
    columns = st.columns(2 if estimate.local else 3)
    columns[0].metric("Estimated tokens", f"{estimate.tokens:,}")
    time = "within 24 h (Batch API)" if settings.uses_batches() else duration(estimate.seconds)
    columns[1].metric("Estimated time", time)
    if not estimate.local:
        cost = "unknown" if estimate.usd is None else f"${estimate.usd:,.4f}"
        columns[2].metric("Estimated cost", cost)
    basis = (
        f"For {estimate.candidates:,} candidates, scaled from preview job "
        f"{estimate.preview_job} ({estimate.preview_candidates} candidates): "
        f"{estimate.prompt_tokens:,} prompt and {estimate.completion_tokens:,} completion tokens."
    )
    if estimate.local:
        basis += " A local server: no charge per token."
    elif estimate.unpriced_models:
        models = ", ".join(sorted(set(estimate.unpriced_models)))
        basis += f" No price for {models} in the price table below."
    elif settings.uses_batches():
        basis += " At list prices; the Batch API usually costs less."
    st.caption(plain(basis))
