"""Attribute values from plain text files, one value a line, as the AttrPrompt repository has them.

Its layout is one folder per dimension: `style/style.txt` holds values for every
label, and `subtopics/<label>.jsonl` (plain lines despite the name) holds the
values of one label; `label.txt` beside the folders lists the labels. A zip of
such folders, or the loose files, both work: a loose file named after a label
goes to the per-label dimension (`subtopics` unless the user names another), any
other loose file is a dimension of its own name.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from seedbed.files.archives import DEFAULT_LIMITS, ZipLimits, read_zip
from seedbed.files.lines import LineError, control_character, decode_lines
from seedbed.models import AttributeDimension, AttributeValue

VALUE_SUFFIXES = {".txt", ".jsonl"}
# An attribute value is a phrase that goes into a prompt ("a formal tone", "cricket").
MAX_VALUE_CHARS = 1000


def name_key(name: str) -> str:
    """Case and punctuation ignored: "Sci_Tech", "sci-tech" and "sci tech" match."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


def read_values(data: bytes) -> tuple[list[str], list[LineError]]:
    """The distinct values of a file (one a line, blank lines skipped) and its problems."""
    values: list[str] = []
    lines, problems = decode_lines(data)
    for number, line in lines:
        if line is None:  # its problem is in `problems` already
            continue
        value = line.strip()
        if value.startswith('"'):  # a JSON string per line is read as its text
            try:
                decoded = json.loads(value)
            except json.JSONDecodeError:
                decoded = None
            if isinstance(decoded, str):
                value = decoded.strip()
        if problem := control_character([value]):
            problems.append(LineError(number, problem))
        elif len(value) > MAX_VALUE_CHARS:
            problems.append(LineError(number, f"longer than {MAX_VALUE_CHARS:,} characters"))
        elif value and value not in values:
            values.append(value)
    return values, problems


@dataclass
class AttributeImport:
    dimensions: list[AttributeDimension] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# The AttrPrompt repository's folder of per-label values: loose per-label files go there.
PER_LABEL_DIMENSION = "subtopics"
# The dataset's list of labels in the AttrPrompt repository: not attribute values.
LABEL_LIST_FILE = "label.txt"


def _target(path: str, labels: Sequence[str], per_label: str) -> tuple[str, str | None] | str:
    """(dimension, label or None) for a file, or the reason it is skipped."""
    pure = PurePosixPath(path)
    folder = pure.parent.name
    label = {name_key(label): label for label in labels}.get(name_key(pure.stem))
    if label is not None:
        return folder or per_label.strip() or PER_LABEL_DIMENSION, label
    if pure.name.lower() == LABEL_LIST_FILE:
        return "the dataset's list of labels, not attribute values"
    if not folder or name_key(pure.stem) == name_key(folder):
        return folder or pure.stem, None
    return f"named neither after its folder '{folder}' nor after a label of this project"


def dimensions_from_files(
    files: Mapping[str, bytes], labels: Sequence[str], per_label: str = ""
) -> AttributeImport:
    """Dimensions read from `files` (path -> bytes), with one problem per skipped file or line.

    A file named after a label gives that label's values, in its folder's dimension
    (a loose one: in `per_label`, else `subtopics`); a file named after its folder,
    or a loose file, gives values for every label in the dimension of that name.
    """
    result = AttributeImport()
    dimensions: dict[str, AttributeDimension] = {}
    for path, data in sorted(files.items()):
        if PurePosixPath(path).suffix.lower() not in VALUE_SUFFIXES:
            result.problems.append(f"{path}: skipped (not a .txt or .jsonl file)")
            continue
        target = _target(path, labels, per_label)
        if isinstance(target, str):
            result.problems.append(f"{path}: skipped ({target})")
            continue
        values, problems = read_values(data)
        result.problems += [f"{path}{' ' if p.line else ': '}{p}" for p in problems]
        if not values:
            result.problems.append(f"{path}: skipped (no values)")
            continue
        name, label = target
        found = dimensions.setdefault(name, AttributeDimension(name=name))
        into = found.per_label.setdefault(label, []) if label else found.values
        known = {value.value for value in into}
        into += [AttributeValue(value=value) for value in values if value not in known]
    result.dimensions = list(dimensions.values())
    return result


def _value_file(info: zipfile.ZipInfo) -> bool:
    return "__MACOSX" not in info.filename and not PurePosixPath(info.filename).name.startswith(".")


def files_from_zip(data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """The files of a zip archive by path (folders, hidden files and macOS extras left out).

    Raises ArchiveError when the zip is unreadable or inflates past `limits`.
    """
    return read_zip(data, _value_file, limits)


def merge_dimensions(
    existing: Sequence[AttributeDimension], imported: Sequence[AttributeDimension]
) -> list[AttributeDimension]:
    """`existing` with the imported values added (new values only) and new dimensions appended."""
    merged = [dimension.model_copy(deep=True) for dimension in existing]
    by_key = {name_key(dimension.name): dimension for dimension in merged}
    for dimension in imported:
        target = by_key.get(name_key(dimension.name))
        if target is None:
            merged.append(dimension.model_copy(deep=True))
            by_key[name_key(dimension.name)] = merged[-1]
            continue
        pairs = [(target.values, dimension.values)]
        pairs += [
            (target.per_label.setdefault(label, []), values)
            for label, values in dimension.per_label.items()
        ]
        for into, values in pairs:
            known = {value.value for value in into}
            into += [value for value in values if value.value not in known]
    return merged


@dataclass
class PlannedValues:
    """What adding an import would change for one dimension and label (None: every label)."""

    dimension: str
    label: str | None
    new: list[str]
    already: int
    new_dimension: bool


def planned_values(
    existing: Sequence[AttributeDimension], imported: Sequence[AttributeDimension]
) -> list[PlannedValues]:
    """Per dimension and label, the values merge_dimensions would add and those already there."""
    by_key = {name_key(dimension.name): dimension for dimension in existing}
    rows = []
    for dimension in imported:
        target = by_key.get(name_key(dimension.name))
        groups = [(None, dimension.values)] if dimension.values else []
        groups += list(dimension.per_label.items())
        for label, values in groups:
            if target is None:
                known: set[str] = set()
            else:
                here = target.values if label is None else target.per_label.get(label, [])
                known = {value.value for value in here}
            new = [value.value for value in values if value.value not in known]
            already = len(values) - len(new)
            rows.append(PlannedValues(dimension.name, label, new, already, target is None))
    return rows
