"""Import and export of seed tasks in Self-Instruct's `seed_tasks.jsonl` schema."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from seedbed.files.lines import LineError, control_character, strings_in
from seedbed.models import Instance, SeedTask, Strict


class SeedTaskRecord(Strict):
    """One line of Self-Instruct's seed_tasks.jsonl."""

    id: str | int | None = None
    name: str = ""
    instruction: str
    instances: list[Instance]
    is_classification: bool = False


# json.loads recurses once per nesting level: a line of 100,000 "[" ends in RecursionError.
TOO_DEEP = "JSON nested too deeply to read"


def _reason(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_seed_tasks_jsonl(text: str) -> tuple[list[SeedTask], list[LineError]]:
    """Valid tasks and one error per malformed line (blank lines are ignored).

    Nothing is written here: the caller stores the valid tasks in one
    transaction, so an import never half-lands.
    """
    tasks: list[SeedTask] = []
    errors: list[LineError] = []
    # A BOM (Windows editors add one) would make the first line invalid JSON; and
    # split on "\n" only, since splitlines() also breaks at U+2028 inside a JSON string.
    lines = text.removeprefix("\ufeff").split("\n")
    for number, line in enumerate((line.removesuffix("\r") for line in lines), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                errors.append(LineError(number, "expected a JSON object with an instruction"))
                continue
            if problem := control_character(strings_in(data)):
                errors.append(LineError(number, f"a value {problem}"))
                continue
            record = SeedTaskRecord.model_validate(data)
            tasks.append(SeedTask(**record.model_dump(exclude={"id"})))
        except json.JSONDecodeError as error:
            errors.append(LineError(number, f"not valid JSON ({error.msg})"))
        except RecursionError:
            errors.append(LineError(number, TOO_DEEP))
        except ValidationError as error:
            errors.append(LineError(number, _reason(error)))
    return tasks, errors


def dump_seed_tasks_jsonl(tasks: list[SeedTask]) -> str:
    """Self-Instruct's schema, one task a line, UTF-8 kept as is."""
    lines = []
    for index, task in enumerate(tasks):
        record = SeedTaskRecord(id=f"seed_task_{index}", **task.model_dump(exclude={"id"}))
        lines.append(json.dumps(record.model_dump(), ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")


# Table rows for the browser's editor: the first instance is editable in place,
# further instances ride along (JSON) in the hidden "more" column so edits keep them.
SEED_ROW_COLUMNS = ["name", "instruction", "input", "output", "is_classification", "more"]


def seed_tasks_to_rows(tasks: Sequence[SeedTask]) -> list[dict[str, Any]]:
    return [
        {
            "name": task.name,
            "instruction": task.instruction,
            "input": task.instances[0].input,
            "output": task.instances[0].output,
            "is_classification": task.is_classification,
            "more": json.dumps([i.model_dump() for i in task.instances[1:]], ensure_ascii=False),
        }
        for task in tasks
    ]


def _cell(value: Any) -> str:
    """A table cell as text: empty for the None/NaN of a freshly added row."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def seed_tasks_from_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[SeedTask], list[str]]:
    """Tasks from edited rows, and one readable problem per invalid row (numbered from 1)."""
    tasks: list[SeedTask] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        try:
            more = [Instance(**item) for item in json.loads(_cell(row.get("more")) or "[]")]
            first = Instance(input=_cell(row.get("input")), output=_cell(row.get("output")))
            tasks.append(
                SeedTask(
                    name=_cell(row.get("name")),
                    instruction=_cell(row.get("instruction")),
                    instances=[first, *more],
                    is_classification=bool(row.get("is_classification") or False),
                )
            )
        except ValidationError as error:
            problems.append(f"Row {number}: {_reason(error)}")
    return tasks, problems
