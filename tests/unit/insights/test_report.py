"""The report the Insights page draws: every measure of one selection, computed together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from seedbed.insights.metrics import aps_growth, average_pairwise_similarity, vendi_score
from seedbed.insights.report import MEASURES, build_report
from seedbed.insights.selection import SelectionRows
from seedbed.insights.text_metrics import lexical_measures
from seedbed.models import AttributeDimension, AttributeValue

START = datetime(2026, 11, 1, tzinfo=UTC)


def rows(n: int, reviewed: bool = True, seed: int = 0) -> tuple[SelectionRows, np.ndarray]:
    rng = np.random.default_rng(seed)
    words = ["tide", "vote", "goal", "clinic", "market", "rain", "chip", "court"]
    labels = ["sports", "health", "business"]
    review_order = rng.permutation(n)
    selection = SelectionRows(
        ids=np.arange(1, n + 1),
        texts=[" ".join(rng.choice(words, 6)) for _ in range(n)],
        labels=[labels[i % 3] for i in range(n)],
        attributes=[{"place": "Lima" if i % 4 else "Oslo"} for i in range(n)],
        methods=["attrprompt"] * n,
        statuses=["accepted"] * n,
        created_at=[START + timedelta(minutes=i) for i in range(n)],
        reviewed_at=[
            START + timedelta(hours=1, minutes=int(review_order[i])) if reviewed else None
            for i in range(n)
        ],
        annotators=["ana"] * n,
        job_ids=[None] * n,
    )
    return selection, rng.normal(size=(n, 16))


PLACE = AttributeDimension(
    name="place", values=[AttributeValue(value="Lima"), AttributeValue(value="Oslo")]
)


def test_report_values_are_the_core_measures() -> None:
    selection, vectors = rows(40)
    report = build_report(selection, vectors, [PLACE], ["sports", "health", "business"])
    lexical = lexical_measures(selection.texts)

    assert report.size == 40
    assert report.values["aps"] == pytest.approx(average_pairwise_similarity(vectors))
    assert report.values["vendi"] == pytest.approx(vendi_score(vectors))
    assert report.values["vocabulary"] == lexical.vocabulary_size
    assert report.values["distinct_2"] == lexical.distinct[2]
    assert report.values["ingf"] == lexical.inter_sample_ngram_frequency
    assert report.values["words"] == 6.0
    assert set(report.values) == set(MEASURES)  # every measure has its explanation
    assert report.coverage[0].table["count"].tolist() == [30, 10]
    assert report.attributes["place"].tolist().count("Oslo") == 10
    assert set(report.timings) == set(report.cpu_timings) and all(
        seconds >= 0 for seconds in report.timings.values()
    )


def test_growth_follows_review_time_when_every_item_has_one() -> None:
    selection, vectors = rows(30)
    report = build_report(selection, vectors)
    order = np.argsort([at.timestamp() for at in selection.reviewed_at])
    expected_sizes, expected = aps_growth(vectors, order)
    assert report.growth_order == "review time"
    np.testing.assert_allclose(report.growth_aps, expected)
    np.testing.assert_array_equal(report.growth_sizes, expected_sizes)

    pending, vectors = rows(30, reviewed=False)
    assert build_report(pending, vectors).growth_order == "id"


def test_the_map_sample_is_bounded_and_carries_every_field() -> None:
    selection, vectors = rows(50)
    report = build_report(selection, vectors, map_points=20)
    sample = report.sample
    assert len(sample) == 20 and report.sample_vectors.shape == (20, 16)
    assert sample["id"].is_monotonic_increasing
    positions = sample["id"].to_numpy() - 1
    np.testing.assert_array_equal(report.sample_vectors, vectors[positions])
    assert sample["text"].tolist() == [selection.texts[i] for i in positions]
    assert {"label", "method", "status", "annotator", "job", "attribute: place"} <= set(
        sample.columns
    )
    assert len(build_report(selection, vectors, map_points=500).sample) == 50
