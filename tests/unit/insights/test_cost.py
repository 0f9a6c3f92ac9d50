"""Cost per accepted item and diversity added, per method and per job."""

from __future__ import annotations

import numpy as np

from seedbed.insights.cost import JobSpend, cost_table
from seedbed.insights.metrics import vendi_score
from seedbed.insights.selection import SelectionRows


def _rows(methods: list[str], statuses: list[str], jobs: list[int | None]) -> SelectionRows:
    n = len(methods)
    return SelectionRows(
        ids=np.arange(n),
        texts=[f"item {i}" for i in range(n)],
        labels=[None] * n,
        attributes=[{}] * n,
        methods=methods,
        statuses=statuses,
        created_at=[None] * n,
        reviewed_at=[None] * n,
        annotators=[None] * n,
        job_ids=jobs,
    )


def test_cost_and_diversity_added_per_method_and_job() -> None:
    # Two similar items from job 1 ("same"), two orthogonal ones from jobs 2 and 3 ("new").
    vectors = np.array([[1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]], float)
    rows = _rows(
        ["same", "same", "new", "new", "new"],
        ["accepted", "accepted", "accepted", "accepted", "rejected"],
        [1, 1, 2, 3, 3],
    )
    spend = [
        JobSpend(1, "same", 1000, 1000, 0.02),
        JobSpend(2, "new", 500, 500, 0.01),
        JobSpend(3, "new", 500, 500, None),  # no price for its model
    ]
    by_method = {row.name: row for row in cost_table(spend, rows, vectors)}
    same, new = by_method["same"], by_method["new"]
    assert (same.accepted, same.acceptance_rate, same.cost_per_accepted) == (2, 1.0, 0.01)
    assert same.tokens_per_accepted == 1000
    assert new.acceptance_rate == 2 / 3 and new.cost_usd is None and new.cost_per_accepted is None
    everything = vendi_score(vectors[:4])
    assert same.vendi_after == new.vendi_after == everything
    assert new.vendi_before == vendi_score(vectors[:2])  # only "same" is left without "new"
    assert new.vendi_gain > same.vendi_gain  # orthogonal items add more
    assert same.vendi_gain_per_usd == same.vendi_gain / 0.02
    assert new.vendi_gain_per_mtok == new.vendi_gain / 2000 * 1e6

    by_job = {row.name: row for row in cost_table(spend, rows, vectors, by="job")}
    assert list(by_job) == ["job 1", "job 2", "job 3"]
    assert by_job["job 2"].cost_per_accepted == 0.01 and by_job["job 3"].rejected == 1
