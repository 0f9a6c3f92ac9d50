"""Label balance and attribute coverage, with KL and chi-square worked out by hand."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2

from seedbed.insights.coverage import (
    attribute_coverage,
    attribute_table,
    combination_counts,
    label_balance,
    target_shares,
)
from seedbed.models import AttributeDimension, AttributeValue


def dimension(name: str, values: dict[str, float], **per_label: dict[str, float]):
    return AttributeDimension(
        name=name,
        values=[AttributeValue(value=v, weight=w) for v, w in values.items()],
        per_label={
            label: [AttributeValue(value=v, weight=w) for v, w in weights.items()]
            for label, weights in per_label.items()
        },
    )


def test_label_balance_counts_every_expected_label() -> None:
    balance = label_balance(["a", "a", "b", None, "c", "a"], expected=["a", "b", "c", "d"])
    assert balance.counts == {"a": 3, "b": 1, "c": 1, "d": 0}
    assert balance.imbalance_ratio == math.inf
    shares = [3 / 5, 1 / 5, 1 / 5]
    assert balance.evenness == pytest.approx(-sum(p * math.log(p) for p in shares) / math.log(4))


def test_label_balance_even_and_degenerate() -> None:
    even = label_balance(["x", "y", "x", "y"])
    assert even.evenness == pytest.approx(1.0) and even.imbalance_ratio == 1.0
    assert label_balance(["x", "x"]).evenness is None  # one label: nothing to balance
    assert label_balance([]).counts == {}


def test_target_shares_normalise_weights_and_prefer_per_label_values() -> None:
    region = dimension("region", {"Africa": 1, "Europe": 3}, sports={"Asia": 2, "Oceania": 2})
    assert target_shares(region, "health") == {"Africa": 0.25, "Europe": 0.75}
    assert target_shares(region, "sports") == {"Asia": 0.5, "Oceania": 0.5}
    assert target_shares(region, None) == {"Africa": 0.25, "Europe": 0.75}


def test_coverage_kl_and_chi_square_by_hand() -> None:
    region = dimension("region", {"Africa": 1, "Asia": 1, "Europe": 2})
    # Target 1/4, 1/4, 1/2; observed 2, 1, 5 of 8 items (one more has no region).
    values = ["Africa"] * 2 + ["Asia"] + ["Europe"] * 5
    attributes = [{"region": v} for v in values] + [{}]
    coverage = attribute_coverage(region, [None] * 9, attributes)

    table = coverage.table.set_index("value")
    assert table["count"].tolist() == [2, 1, 5]
    assert table["share"].tolist() == [2 / 8, 1 / 8, 5 / 8]
    assert table["target_share"].tolist() == [0.25, 0.25, 0.5]
    assert coverage.items == 8 and coverage.missing == 1 and coverage.off_target == 0
    # KL(observed || target) = 1/4 ln(1) + 1/8 ln(1/2) + 5/8 ln(5/4)
    assert coverage.kl_divergence == pytest.approx(0.125 * math.log(0.5) + 0.625 * math.log(1.25))
    # Expected counts 2, 2, 4: 0/2 + 1/2 + 1/4 = 0.75 with 2 degrees of freedom.
    assert coverage.chi_square == pytest.approx(0.75)
    assert coverage.degrees_of_freedom == 2
    assert coverage.p_value == pytest.approx(math.exp(-0.75 / 2))  # chi2 sf with 2 dof


def test_coverage_tests_each_label_against_its_own_values() -> None:
    topic = dimension(
        "subtopic",
        {},
        sports={"football": 1, "tennis": 1},
        business={"markets": 3, "startups": 1},
    )
    labels = ["sports"] * 4 + ["business"] * 4 + ["health"]
    values = ["football"] * 4 + ["markets", "markets", "startups", "banking"] + ["x"]
    coverage = attribute_coverage(topic, labels, [{"subtopic": v} for v in values])

    # "banking" is not offered for business; health has no subtopic values at all.
    assert coverage.off_target == 1 and coverage.missing == 1 and coverage.items == 7
    table = coverage.table.set_index("value")
    assert table.loc["football", "count"] == 4 and table.loc["tennis", "count"] == 0
    # Expected within sports: 2, 2 -> (4-2)^2/2 + (0-2)^2/2 = 4; within the 3 on-target
    # business items: 2.25, 0.75 -> (2-2.25)^2/2.25 + (1-0.75)^2/0.75 = 1/9.
    assert coverage.chi_square == pytest.approx(4 + 1 / 9)
    assert coverage.degrees_of_freedom == 2
    assert coverage.p_value == pytest.approx(chi2.sf(4 + 1 / 9, 2))
    # Pooled target shares: sports items give football and tennis 2/7 each; business items
    # give markets 2.25/7 and startups 0.75/7.
    assert table.loc["tennis", "target_share"] == pytest.approx(2 / 7)
    assert table.loc["markets", "target_share"] == pytest.approx(2.25 / 7)
    assert table["target_share"].sum() == pytest.approx(1.0)


def test_coverage_without_items() -> None:
    coverage = attribute_coverage(dimension("tone", {"calm": 1, "angry": 1}), ["a"], [{}])
    assert coverage.items == 0 and coverage.missing == 1
    assert coverage.kl_divergence is None and coverage.chi_square is None
    assert coverage.table["count"].tolist() == [0, 0]


def test_combination_counts_show_empty_cells() -> None:
    length = dimension("length", {"short": 1, "long": 1})
    place = dimension("place", {"Lagos": 1, "Lima": 1, "Oslo": 1})
    attributes = [
        {"length": "short", "place": "Oslo"},
        {"length": "short", "place": "Oslo"},
        {"length": "long", "place": "Lagos"},
        {"length": "long"},
    ]
    table = combination_counts(attribute_table(attributes), length, place)
    assert table.index.tolist() == ["short", "long"]
    assert table.columns.tolist() == ["Lagos", "Lima", "Oslo"]
    assert table.to_numpy().tolist() == [[0, 0, 2], [1, 0, 0]]


def test_combination_counts_without_the_attributes_are_all_zero() -> None:
    length = dimension("length", {"short": 1, "long": 1})
    place = dimension("place", {"Lagos": 1})
    table = combination_counts(attribute_table([{}, {}]), length, place)
    assert table.to_numpy().tolist() == [[0], [0]]
