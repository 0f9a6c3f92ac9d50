"""Generation jobs on a page: live progress, cancel and resume, failures, and the price table."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from components.state import api_key, plain
from seedbed.cluster import cluster_address
from seedbed.errors import InputError, SeedbedError
from seedbed.jobs import batch_rows, pricing, runner
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.estimate import projection
from seedbed.jobs.pricing import Price
from seedbed.jobs.state import LIVE, Job, JobProgress, JobStatus
from seedbed.store.core import Store

POLL_SECONDS = 1.0


@st.cache_resource(show_spinner=False)
def resume_interrupted_jobs(_store: Store) -> list[int]:
    """Once per server process: resume in the background the jobs a dead process left."""
    return runner.resume_interrupted(_store)


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def state(job: Job) -> str:
    """The status a user sees: a live-looking job whose process died is 'interrupted'."""
    return "interrupted" if runner.is_interrupted(job) else job.status.value


def summary(progress: JobProgress) -> str:
    cost = f"${progress.cost_usd:.4f}"
    if progress.unpriced_tokens:
        cost += f" (+{progress.unpriced_tokens:,} tokens without a price)"
    return (
        f"done {progress.stored} · filtered {progress.filtered} · failed {progress.failed} "
        f"requests · {duration(progress.elapsed_seconds)} elapsed · {progress.tokens:,} tokens "
        f"· {cost}"
    )


def job_panel(store: Store, job_id: int) -> None:
    """One job's progress, polled every second while it runs, with cancel or resume."""
    job = jobs.get_job(store, job_id)
    if job is None:
        return
    live = job.status in LIVE and not runner.is_interrupted(job)
    st.fragment(_panel, run_every=POLL_SECONDS if live else None)(store, job_id, live)


def _panel(store: Store, job_id: int, was_live: bool) -> None:
    job = jobs.get_job(store, job_id)
    shown = state(job)
    if was_live and shown not in ("queued", "running"):
        st.rerun()  # it ended: redraw the whole page, without polling
    progress = job_requests.job_progress(store, job)
    with st.container(border=True, key=f"job_panel_{job.id}"):
        where = " · on the Ray cluster" if job.settings.cluster else ""
        st.markdown(f"**Job {job.id}** · {job.method} · {shown}{where}")
        st.progress(
            min(progress.stored / progress.n, 1.0),
            text=f"{progress.stored} of {progress.n} candidates",
        )
        st.caption(summary(progress))
        if shown == "running" and (projected := projection(progress)):
            st.caption(projected)
        for line in batch_rows.summary(store, job.id):
            st.caption(line)
        if served := job_requests.nodes_served(store, job.id):
            st.caption(
                plain("Served by " + ", ".join(f"{n} ({c} requests)" for n, c in served.items()))
            )
        if job.message:
            (st.error if job.status == JobStatus.FAILED else st.info)(plain(job.message))
        _buttons(store, job, shown, progress)
        _failures(store, job, progress.failed)


def _buttons(store: Store, job: Job, shown: str, progress: JobProgress) -> None:
    if shown in ("queued", "running"):
        if job.cancel_requested:
            st.caption("Cancelling: the requests in flight finish first.")
        elif st.button("Cancel", key=f"job_cancel_{job.id}"):
            jobs.cancel_job(store, job.id)  # at once when no run has it yet
        return
    # A done job short of its count may still retry its failures (e.g. timeouts).
    retry = progress.failed and not (job.status == JobStatus.DONE and progress.stored >= progress.n)
    if job.status == JobStatus.DONE and not retry:
        return
    address = cluster_address()
    if job.settings.cluster:
        if address is None:
            st.caption("It resumes on the Ray cluster: start the app with RAY_ADDRESS set.")
            return
        st.caption("Resuming hands the job to a new driver on the Ray cluster.")
    left, right = st.columns(2)
    if job.status != JobStatus.DONE and left.button(
        "Resume", key=f"job_resume_{job.id}", type="primary"
    ):
        _resume(store, job, address)
    if retry and right.button("Resume and retry failed requests", key=f"job_retry_{job.id}"):
        try:
            job_requests.retry_failed(store, job.id)
        except SeedbedError as error:
            st.error(plain(str(error)))
            return
        _resume(store, job, address)


def _resume(store: Store, job: Job, address: str | None) -> None:
    """Resume where the job ran: on the cluster, or on a thread of this server."""
    if not job.settings.cluster:
        runner.run_in_background(store, job.id, api_key())
        st.rerun()
    from seedbed.jobs import ray_runner  # Ray is imported only when a cluster is used

    try:
        ray_runner.submit(store, job.id, address or "")
    except SeedbedError as error:
        st.error(plain(str(error)))
    else:
        st.rerun()


def _failures(store: Store, job: Job, count: int) -> None:
    if not count:
        return
    with st.expander(f"{count} failed request{'s' if count != 1 else ''}"):
        records = job_requests.failed_requests(store, job.id)
        frame = pd.DataFrame(
            [
                {
                    "request": r.request.key,
                    "stage": r.request.stage,
                    "attempts": r.attempts,
                    "error": r.error,
                }
                for r in records
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")


def jobs_section(store: Store, project_id: int) -> None:
    """The latest job and every unfinished one as panels, then a table of recent jobs."""
    recent = [job for job in jobs.list_jobs(store, project_id) if not job.settings.preview]
    if not recent:
        return
    st.subheader("Jobs")
    for index, job in enumerate(recent):
        if index == 0 or job.status != JobStatus.DONE:
            job_panel(store, job.id)
    rows = []
    for job in recent:
        progress = job_requests.job_progress(store, job)
        rows.append(
            {
                "job": job.id,
                "method": job.method,
                "status": state(job),
                "candidates": f"{progress.stored} / {progress.n}",
                "flagged": progress.filtered,
                "failed requests": progress.failed,
                "tokens": progress.tokens,
                "cost ($)": round(progress.cost_usd, 4),
                "started": job.created_at.strftime("%Y-%m-%d %H:%M"),
                "note": job.message or "",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def price_editor(store: Store) -> None:
    """The per-model price table, editable; used for the cost shown and money budgets."""
    with st.expander("Prices per model (for estimated cost and money budgets)"):
        table = pricing.load_prices(store)
        frame = pd.DataFrame(
            [p.model_dump() for p in table.prices.values()],
            columns=["model", "prompt_usd_per_mtok", "completion_usd_per_mtok"],
        )
        edited = st.data_editor(
            frame,
            num_rows="dynamic",
            hide_index=True,
            key="generate_prices",
            column_config={
                "model": st.column_config.TextColumn("Model (a prefix matches dated names)"),
                "prompt_usd_per_mtok": st.column_config.NumberColumn("Prompt $ / 1M tokens"),
                "completion_usd_per_mtok": st.column_config.NumberColumn(
                    "Completion $ / 1M tokens"
                ),
            },
        )
        if st.button("Save prices", key="generate_prices_save"):
            try:
                prices = _prices(edited.to_dict("records"))
                pricing.save_prices(store, prices)
                st.success(f"Saved {len(prices)} prices.")
            except SeedbedError as error:
                st.error(plain(f"Not saved: {error}"))


def _prices(rows: list[dict]) -> list[Price]:
    """The edited rows as prices (rows without a model name are dropped); InputError if wrong."""
    prices = []
    for row in rows:
        model = row.get("model")
        if not isinstance(model, str) or not model.strip():
            continue
        try:
            prices.append(Price(**row))
        except ValidationError as error:
            problem = error.errors()[0]
            raise InputError(f"{model}: {problem['loc'][0]} {problem['msg'].lower()}") from None
    return prices
