"""The projected total of a running job."""

from __future__ import annotations

from seedbed.jobs.estimate import projection
from seedbed.jobs.state import JobProgress


def test_a_running_job_projects_its_total_at_the_rate_so_far() -> None:
    progress = JobProgress(
        n=100,
        stored=25,
        prompt_tokens=2000,
        completion_tokens=3000,
        cost_usd=0.01,
        elapsed_seconds=30.0,
    )
    assert projection(progress) == (
        "Projected total at this rate: 20,000 tokens · $0.0400 · about 1:30 left"
    )


def test_no_projection_before_the_first_candidate_or_without_a_price() -> None:
    assert projection(JobProgress(n=10)) is None
    unpriced = JobProgress(n=10, stored=5, prompt_tokens=10, unpriced_tokens=10)
    assert projection(unpriced) == "Projected total at this rate: 20 tokens · about 0:00 left"
