"""Import and export of seed tasks in Self-Instruct's `seed_tasks.jsonl` schema."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from seedbed.models import Instance, SeedTask, Strict


class SeedTaskRecord(Strict):
    """One line of Self-Instruct's seed_tasks.jsonl."""

    id: str | int | None = None
    name: str = ""
    instruction: str
    instances: list[Instance]
    is_classification: bool = False


@dataclass
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


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
    # A BOM (Windows editors add one) would make the first line invalid JSON.
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                errors.append(LineError(number, "expected a JSON object with an instruction"))
                continue
            record = SeedTaskRecord.model_validate(data)
            tasks.append(SeedTask(**record.model_dump(exclude={"id"})))
        except json.JSONDecodeError as error:
            errors.append(LineError(number, f"not valid JSON ({error.msg})"))
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
