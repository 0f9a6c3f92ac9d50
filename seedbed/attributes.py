"""Attribute dimensions: flat rows for the table editors, LLM proposals, the similar-label check."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from seedbed.errors import InputError
from seedbed.models import AttributeDimension, AttributeValue, Strict


def dimensions_to_rows(
    dimensions: Sequence[AttributeDimension],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(name rows, value rows); a value row's label is None when it applies to every label."""
    names = [{"name": d.name, "description": d.description} for d in dimensions]
    values = [
        {"dimension": d.name, "label": None, "value": v.value, "weight": v.weight}
        for d in dimensions
        for v in d.values
    ]
    values += [
        {"dimension": d.name, "label": label, "value": v.value, "weight": v.weight}
        for d in dimensions
        for label, label_values in d.per_label.items()
        for v in label_values
    ]
    return names, values


def _blank(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()
    )


def dimensions_from_rows(
    name_rows: Sequence[dict[str, Any]],
    value_rows: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> tuple[list[AttributeDimension], list[str]]:
    """Rebuild dimensions from edited rows; returns them with user-facing problems."""
    problems: list[str] = []
    dimensions: dict[str, AttributeDimension] = {}
    for row in name_rows:
        if _blank(row.get("name")):
            continue
        name = str(row["name"]).strip()
        if name in dimensions:
            problems.append(f"Dimension '{name}' appears twice.")
        description = "" if _blank(row.get("description")) else str(row["description"])
        dimensions[name] = AttributeDimension(name=name, description=description)
    for number, row in enumerate(value_rows, start=1):
        if _blank(row.get("value")):
            continue
        dimension = dimensions.get(str(row.get("dimension") or "").strip())
        if dimension is None:
            problems.append(f"Value row {number}: pick one of the dimensions above.")
            continue
        label = None if _blank(row.get("label")) else str(row["label"]).strip()
        if label is not None and label not in labels:
            problems.append(f"Value row {number}: '{label}' is not a label of this project.")
            continue
        weight = 1.0 if _blank(row.get("weight")) else row["weight"]
        try:
            value = AttributeValue(value=str(row["value"]).strip(), weight=weight)
        except ValidationError:
            problems.append(f"Value row {number}: the weight must be a number above 0.")
            continue
        target = dimension.values if label is None else dimension.per_label.setdefault(label, [])
        target.append(value)
    return list(dimensions.values()), problems


# -- LLM proposals and the similar-label check --------------------------------------------
# How the check decides (AttrPrompt drops a label's values that belong to a similar
# label): a value a similar label lists too is flagged at once, no model needed; the
# page can also ask the model which values fit a similar label (proposals.py), and
# flags those. Flagged values are removed when the user applies the check, except
# those the user keeps. General values (for every label) are never flagged.


class ValueFlag(Strict):
    """A per-label value that may belong to a similar label, and why."""

    dimension: str
    label: str
    value: str
    reason: str


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def add_dimensions(
    dimensions: Sequence[AttributeDimension], proposals: Sequence[tuple[str, str]]
) -> list[AttributeDimension]:
    """The dimensions plus the proposed (name, description) ones whose names are new."""
    result = [d.model_copy(deep=True) for d in dimensions]
    known = {_key(d.name) for d in result}
    for name, description in proposals:
        if name.strip() and _key(name) not in known:
            known.add(_key(name))
            result.append(AttributeDimension(name=name.strip(), description=description.strip()))
    return result


def add_values(
    dimensions: Sequence[AttributeDimension],
    dimension: str,
    label: str | None,
    values: Sequence[str],
) -> list[AttributeDimension]:
    """The dimensions with `values` added to `dimension` (for `label` only, if given).

    Values already there are skipped; new ones get weight 1. Raises InputError when
    the dimension does not exist.
    """
    result = [d.model_copy(deep=True) for d in dimensions]
    target = next((d for d in result if d.name == dimension), None)
    if target is None:
        raise InputError(f"There is no dimension named '{dimension}'.")
    existing = target.values if label is None else target.per_label.setdefault(label, [])
    known = {_key(v.value) for v in existing}
    for value in values:
        if value.strip() and _key(value) not in known:
            known.add(_key(value))
            existing.append(AttributeValue(value=value.strip()))
    return result


def shared_value_flags(
    dimensions: Sequence[AttributeDimension], similar: dict[str, list[str]]
) -> list[ValueFlag]:
    """Per-label values that a similar label of the same dimension lists too."""
    flags = []
    for dimension in dimensions:
        for label, values in dimension.per_label.items():
            for value in values:
                for other in similar.get(label, []):
                    others = {_key(v.value) for v in dimension.per_label.get(other, [])}
                    if _key(value.value) in others:
                        reason = f"also listed for '{other}'"
                        flags.append(
                            ValueFlag(
                                dimension=dimension.name,
                                label=label,
                                value=value.value,
                                reason=reason,
                            )
                        )
                        break
    return flags


def remove_values(
    dimensions: Sequence[AttributeDimension], flags: Sequence[ValueFlag]
) -> list[AttributeDimension]:
    """The dimensions without the flagged per-label values."""
    gone = {(f.dimension, f.label, _key(f.value)) for f in flags}
    result = []
    for dimension in dimensions:
        per_label = {
            label: [v for v in values if (dimension.name, label, _key(v.value)) not in gone]
            for label, values in dimension.per_label.items()
        }
        result.append(
            dimension.model_copy(update={"per_label": {k: v for k, v in per_label.items() if v}})
        )
    return result


def ambiguity_questions(
    dimensions: Sequence[AttributeDimension], similar: dict[str, list[str]]
) -> list[tuple[str, str, list[str]]]:
    """(dimension, label, values) for every label with its own values and similar labels."""
    return [
        (dimension.name, label, [v.value for v in values])
        for dimension in dimensions
        for label, values in dimension.per_label.items()
        if values and similar.get(label)
    ]


def model_value_flags(
    dimension: str,
    label: str,
    values: Sequence[str],
    positions: Sequence[int],
    similar: Sequence[str],
) -> list[ValueFlag]:
    """Flags for the values the model named (0-based `positions` into `values`)."""
    reason = "the model says it fits " + " or ".join(f"'{other}'" for other in similar)
    return [
        ValueFlag(dimension=dimension, label=label, value=values[i], reason=reason)
        for i in positions
        if 0 <= i < len(values)
    ]


def flags_to_review(
    dimensions: Sequence[AttributeDimension],
    similar: dict[str, list[str]],
    model_flags: Sequence[ValueFlag] = (),
) -> list[ValueFlag]:
    """Every flag on a value the dimensions still list, once per value (shared values first)."""
    listed = {
        (d.name, label, _key(v.value))
        for d in dimensions
        for label, values in d.per_label.items()
        for v in values
    }
    flags: dict[tuple[str, str, str], ValueFlag] = {}
    for flag in [*shared_value_flags(dimensions, similar), *model_flags]:
        key = (flag.dimension, flag.label, _key(flag.value))
        if key in listed:
            flags.setdefault(key, flag)
    return list(flags.values())
