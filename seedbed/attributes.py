"""Attribute dimensions as flat rows (one per dimension, one per value) for table editors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from seedbed.models import AttributeDimension, AttributeValue


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
