"""Where the data is biased: label balance and attribute coverage against the target weights.

AttrPrompt draws each attribute value with the user's weights (per-label values replace the
shared ones for the labels they name), so every item has a known target distribution for each
dimension. Comparing what was accepted with that target is how a skew shows, the paper's
regional bias for instance: most items set in a few places although every place was asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from seedbed.models import AttributeDimension


@dataclass
class LabelBalance:
    """How many items carry each label, and how even that is."""

    counts: dict[str, int]
    # Entropy of the label shares over log(number of labels): 1 is perfectly even.
    evenness: float | None
    # The most frequent label's count over the least frequent one's (inf when one is missing).
    imbalance_ratio: float | None


def label_balance(labels: Sequence[str | None], expected: Sequence[str] = ()) -> LabelBalance:
    """Counts per label, with every `expected` label present (at zero when unused)."""
    counter = Counter(label for label in labels if label is not None)
    counts = {label: counter.get(label, 0) for label in expected}
    counts.update({label: count for label, count in sorted(counter.items()) if label not in counts})
    values = np.array(list(counts.values()), dtype=np.float64)
    if len(values) < 2 or values.sum() == 0:
        return LabelBalance(counts, None, None)
    shares = values[values > 0] / values.sum()
    evenness = float(-(shares * np.log(shares)).sum() / np.log(len(values)))
    ratio = float(values.max() / values.min()) if values.min() > 0 else float("inf")
    return LabelBalance(counts, evenness, ratio)


@dataclass
class DimensionCoverage:
    """One dimension's observed value shares against the target shares."""

    dimension: str
    table: pd.DataFrame  # value, count, share, target_share, difference
    items: int  # items whose value is one the target offers for their label
    off_target: int  # items with a value the target does not offer for their label
    missing: int  # items without this attribute (another method, or no target for the label)
    kl_divergence: float | None  # KL(observed || target) in nats, over the pooled shares
    chi_square: float | None  # goodness of fit, summed over labels
    degrees_of_freedom: int
    p_value: float | None


def target_shares(dimension: AttributeDimension, label: str | None) -> dict[str, float]:
    """The probability AttrPrompt gives each value of `dimension` for an item with `label`."""
    values = dimension.values_for(label)
    total = sum(value.weight for value in values)
    shares: dict[str, float] = {}
    for value in values:
        shares[value.value] = shares.get(value.value, 0.0) + value.weight / total
    return shares


def attribute_coverage(
    dimension: AttributeDimension,
    labels: Sequence[str | None],
    attributes: Sequence[Mapping[str, str]],
) -> DimensionCoverage:
    """Compare the values items carry for `dimension` with the target weights.

    Expected counts add up each item's own target (per label), so per-label values are
    handled exactly. The chi-square statistic is summed over labels, each label tested
    against its own target, with sum(k_label - 1) degrees of freedom; the KL divergence
    compares the pooled observed shares with the pooled target shares.
    """
    # Count (label, value) pairs in one C-level pass, then walk the few distinct pairs.
    name = dimension.name
    pairs = Counter(zip(labels, (item.get(name) for item in attributes), strict=True))
    observed: dict[str | None, Counter] = {}
    off_target = missing = 0
    targets = {label: target_shares(dimension, label) for label, _ in pairs}
    for (label, value), count in pairs.items():
        if value is None or not targets[label]:
            missing += count
        elif value not in targets[label]:
            off_target += count
        else:
            observed.setdefault(label, Counter())[value] += count
    table = _coverage_table(dimension, observed, targets)
    items = int(table["count"].sum())
    statistic, dof = _stratified_chi_square(observed, targets)
    return DimensionCoverage(
        dimension=dimension.name,
        table=table,
        items=items,
        off_target=off_target,
        missing=missing,
        kl_divergence=_kl(table["share"], table["target_share"]) if items else None,
        chi_square=statistic if dof else None,
        degrees_of_freedom=dof,
        p_value=float(chi2.sf(statistic, dof)) if dof else None,
    )


def _coverage_table(
    dimension: AttributeDimension,
    observed: Mapping[str | None, Counter],
    targets: Mapping[str | None, dict[str, float]],
) -> pd.DataFrame:
    order = list(dict.fromkeys(v.value for v in dimension.values))
    for values in dimension.per_label.values():
        order += [v.value for v in values if v.value not in order]
    counts = Counter()
    expected = Counter()
    for label, counter in observed.items():
        counts.update(counter)
        for value, share in targets[label].items():
            expected[value] += share * sum(counter.values())
    items = sum(counts.values())
    rows = [
        {
            "value": value,
            "count": counts.get(value, 0),
            "share": counts.get(value, 0) / items if items else 0.0,
            "target_share": expected.get(value, 0.0) / items if items else 0.0,
        }
        for value in order
    ]
    table = pd.DataFrame(rows, columns=["value", "count", "share", "target_share"])
    if items:  # values no label of the selection can take would only clutter the table
        table = table[(table["count"] > 0) | (table["target_share"] > 0)]
    table["difference"] = table["share"] - table["target_share"]
    return table.reset_index(drop=True)


def _stratified_chi_square(
    observed: Mapping[str | None, Counter], targets: Mapping[str | None, dict[str, float]]
) -> tuple[float, int]:
    statistic, dof = 0.0, 0
    for label, counter in observed.items():
        total = sum(counter.values())
        shares = targets[label]
        if total == 0 or len(shares) < 2:
            continue
        for value, share in shares.items():
            expected = share * total
            statistic += (counter.get(value, 0) - expected) ** 2 / expected
        dof += len(shares) - 1
    return statistic, dof


def _kl(observed: pd.Series, target: pd.Series) -> float:
    p = observed.to_numpy(dtype=np.float64)
    q = target.to_numpy(dtype=np.float64)
    used = p > 0
    return float((p[used] * np.log(p[used] / q[used])).sum())


def attribute_table(attributes: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """One row per item, one categorical column per attribute name (empty where missing)."""
    table = pd.DataFrame.from_records(list(attributes))
    return table.astype("category") if len(table.columns) else table


def combination_counts(
    table: pd.DataFrame, first: AttributeDimension, second: AttributeDimension
) -> pd.DataFrame:
    """Items per (first value, second value): rows are `first`'s values, columns `second`'s.

    `table` comes from `attribute_table`. Every value the dimensions offer appears, at zero
    when no item has it: the empty cells are the point of the chart.
    """
    if first.name == second.name and first.name in table.columns:
        # One dimension against itself (a project with one): its counts on the diagonal.
        values = table[first.name].dropna()
        counts = pd.crosstab(values, values.rename(f"{first.name} "))
    elif first.name in table.columns and second.name in table.columns:
        pairs = table[[first.name, second.name]].dropna()
        counts = pd.crosstab(pairs[first.name], pairs[second.name])
    else:
        counts = pd.DataFrame()
    rows = _all_values(first, [str(value) for value in counts.index])
    columns = _all_values(second, [str(value) for value in counts.columns])
    counts.index, counts.columns = counts.index.astype(str), counts.columns.astype(str)
    return counts.reindex(index=rows, columns=columns, fill_value=0).astype(np.int64)


def _all_values(dimension: AttributeDimension, seen: Sequence[str]) -> list[str]:
    values = [v.value for v in dimension.values]
    values += [v.value for per_label in dimension.per_label.values() for v in per_label]
    return list(dict.fromkeys([*values, *seen]))
