"""Reading instruction and classification data made elsewhere (or exported by Seedbed).

Formats: Self-Instruct `seed_tasks.jsonl`, Alpaca JSON and JSONL, ShareGPT,
OpenAI chat JSONL, CSV, classification JSONL and Seedbed's raw JSONL. Parsing
never writes: it returns the valid records and one error per malformed line
(with its number and the reason); the caller stores the records in one
transaction (`seedbed.files.import_store`), so an import never half-lands.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ValidationError

from seedbed.files.formats import (
    AlpacaRecord,
    ClassificationRecord,
    OpenAIChatRecord,
    RawRecord,
    ShareGPTRecord,
)
from seedbed.files.lines import LineError, control_character, decode_lines, strings_in
from seedbed.files.seeds import TOO_DEEP, SeedTaskRecord, _reason
from seedbed.models import SeedTask

IMPORT_FORMATS = {
    "seed_tasks": "Self-Instruct seed_tasks.jsonl",
    "alpaca": "Alpaca (JSON array or JSONL: instruction, input, output)",
    "sharegpt": "ShareGPT JSONL (conversations, human/gpt)",
    "openai_chat": "OpenAI chat JSONL (messages)",
    "csv": "CSV with a header (instruction, input, output or text, label)",
    "classification": "Classification JSONL (text, label)",
    "raw": "Seedbed raw JSONL (a raw export, with review history)",
}


@dataclass
class Example:
    """One imported example, shaped like a candidate's content.

    `content` is instruction/input/output, or text/label for classification
    data; `attributes` come from a CSV's extra columns.
    """

    line: int
    content: dict[str, str]
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedFile:
    fmt: str
    records: list[Any] = field(default_factory=list)  # Example, SeedTask or RawRecord
    errors: list[LineError] = field(default_factory=list)


Lines = list[tuple[int, str | None]]  # (number, text); None: a line that could not be read


def _json_lines(lines: Lines, errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    """Each non-blank line's JSON object; bad lines go to `errors` (unreadable ones are there)."""
    for number, line in lines:
        if line is not None and line.strip():
            yield from _one_object(number, line, errors)


def _one_object(number: int, line: str, errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        errors.append(LineError(number, f"not valid JSON ({error.msg})"))
        return
    except RecursionError:
        errors.append(LineError(number, TOO_DEEP))
        return
    yield from _checked_object(number, value, errors)


def _checked_object(number: int, value: object, errors: list[LineError]):
    """`value` when it is an object whose strings are all text; else its problem in `errors`."""
    if not isinstance(value, dict):
        errors.append(LineError(number, f"expected a JSON object, found {type(value).__name__}"))
    elif problem := control_character(strings_in(value)):
        errors.append(LineError(number, f"a value {problem}"))
    else:
        yield number, value


def _json_array(lines: Lines, errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    """The objects of a JSON array, each with the line it starts on.

    An unreadable line (already in `errors`) leaves the array unread: its objects
    cannot be told apart without it.
    """
    if any(line is None for _, line in lines):
        return
    text = "\n".join(line or "" for _, line in lines)
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        line = text.count("\n", 0, position) + 1
        if position >= len(text) or text[position] == "]":
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            reason = f"not valid JSON ({error.msg}); the rest of the file was not read"
            errors.append(LineError(text.count("\n", 0, error.pos) + 1, reason))
            return
        except RecursionError:
            errors.append(LineError(line, f"{TOO_DEEP}; the rest of the file was not read"))
            return
        yield from _checked_object(line, value, errors)


def _is_array(lines: Lines) -> bool:
    first = next((line for _, line in lines if line is not None and line.strip()), "")
    return first.lstrip().startswith("[")


def _objects(lines: Lines, errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    """JSONL, or a JSON array when the file starts with '['."""
    if _is_array(lines):
        return _json_array(lines, errors)
    return _json_lines(lines, errors)


def _validated(model: type[BaseModel], objects, errors: list[LineError]):
    for number, value in objects:
        try:
            yield number, model.model_validate(value)
        except ValidationError as error:
            errors.append(LineError(number, _reason(error)))


def _instruction_example(number: int, instruction: str, input_text: str, output: str) -> Example:
    if not instruction.strip():
        raise ValueError("the instruction is empty")
    if not output.strip():
        raise ValueError("the output is empty")
    return Example(number, {"instruction": instruction, "input": input_text, "output": output})


def _conversation(number: int, turns: list[tuple[str, str]]) -> Example:
    """A single-turn conversation (system turns aside) as an instruction example."""
    spoken = [(role, text) for role, text in turns if role != "system"]
    if [role for role, _ in spoken] != ["user", "assistant"]:
        users = sum(role == "user" for role, _ in spoken)
        raise ValueError(
            f"is not single-turn ({users} user and {len(spoken) - users} assistant turns); "
            "Seedbed imports one user turn followed by one reply"
        )
    return _instruction_example(number, spoken[0][1], "", spoken[1][1])


def _from_alpaca(number: int, record: AlpacaRecord) -> Example:
    return _instruction_example(number, record.instruction, record.input, record.output)


def _from_chat(number: int, record: OpenAIChatRecord) -> Example:
    return _conversation(number, [(m.role, m.content) for m in record.messages])


_SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "system": "system"}


def _from_sharegpt(number: int, record: ShareGPTRecord) -> Example:
    turns = [(_SHAREGPT_ROLES[turn.from_], turn.value) for turn in record.conversations]
    return _conversation(number, turns)


def _from_classification(number: int, record: ClassificationRecord) -> Example:
    return _text_example(number, record.text, record.label, {})


# Format -> (record schema, conversion); each reads JSONL or a JSON array.
_CONVERTERS: dict[str, tuple[type[BaseModel], Callable[[int, Any], Example]]] = {
    "alpaca": (AlpacaRecord, _from_alpaca),
    "openai_chat": (OpenAIChatRecord, _from_chat),
    "sharegpt": (ShareGPTRecord, _from_sharegpt),
    "classification": (ClassificationRecord, _from_classification),
}


def _examples(fmt: str, lines: Lines, errors: list[LineError]) -> Iterator[Example]:
    model, convert = _CONVERTERS[fmt]
    for number, record in _validated(model, _objects(lines, errors), errors):
        try:
            yield convert(number, record)
        except ValueError as error:
            errors.append(LineError(number, str(error)))


def _text_example(number: int, text: str, label: str, attributes: dict[str, str]) -> Example:
    if not text.strip():
        raise ValueError("the text is empty")
    if not label.strip():
        raise ValueError("the label is empty")
    return Example(number, {"text": text, "label": label.strip()}, attributes)


def _csv_rows(lines: Lines) -> Iterator[tuple[int, int, list[str], bool]]:
    """(first line, last line, cells, has an unreadable line) for each non-blank CSV record."""
    bad = {number for number, line in lines if line is None}
    # A bad line becomes U+FFFD so that it stays a record of its own and can be reported.
    reader = csv.reader([("\ufffd" if line is None else line) + "\n" for _, line in lines])
    last = 0
    for cells in reader:
        first, last = last + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield first, last, cells, bool(bad & set(range(first, last + 1)))


def _csv_shape(header: list[str]) -> list[str] | None:
    keys = {cell.strip().lower() for cell in header}
    if {"text", "label"} <= keys:
        return ["text", "label"]
    if {"instruction", "output"} <= keys:
        return ["instruction", "input", "output"]
    return None


def _csv_examples(lines: Lines, errors: list[LineError]) -> Iterator[Example]:
    if not lines:  # nothing could be read; `errors` says why
        return
    rows = _csv_rows(lines)
    number, _, header, _ = next(rows, (1, 1, [], False))
    shape = _csv_shape(header)
    if shape is None:
        found = ", ".join(cell.strip() for cell in header) or "none"
        reason = f"the header needs instruction and output, or text and label (found {found})"
        errors.append(LineError(number, reason))
        return
    keys = [cell.strip().lower() for cell in header]
    for number, _, cells, bad in rows:
        if bad:  # its problem is in `errors` already
            continue
        if problem := control_character(cells):
            errors.append(LineError(number, f"a cell {problem}"))
            continue
        if len(cells) > len(keys):
            errors.append(LineError(number, "more cells than header columns"))
            continue
        row = dict(zip(keys, cells + [""] * (len(keys) - len(cells)), strict=True))
        extra = {header[i].strip(): row[key] for i, key in enumerate(keys) if key not in shape}
        attributes = {name: value for name, value in extra.items() if value}
        try:
            if shape[0] == "text":
                yield _text_example(number, row["text"], row["label"], attributes)
            else:
                instruction, output = row["instruction"], row["output"]
                example = _instruction_example(number, instruction, row.get("input", ""), output)
                example.attributes = attributes
                yield example
        except ValueError as error:
            errors.append(LineError(number, str(error)))


def parse_file(data: bytes, fmt: str) -> ParsedFile:
    """The valid records of a file in format `fmt` and one error per bad line."""
    parsed = ParsedFile(fmt)
    lines, parsed.errors = decode_lines(data)
    if fmt == "seed_tasks":
        records = _validated(SeedTaskRecord, _objects(lines, parsed.errors), parsed.errors)
        for number, record in records:
            try:
                parsed.records.append(SeedTask(**record.model_dump(exclude={"id"})))
            except ValidationError as error:
                parsed.errors.append(LineError(number, _reason(error)))
    elif fmt == "raw":
        parsed.records = [
            r for _, r in _validated(RawRecord, _json_lines(lines, parsed.errors), parsed.errors)
        ]
    elif fmt == "csv":
        parsed.records = list(_csv_examples(lines, parsed.errors))
    elif fmt in _CONVERTERS:
        parsed.records = list(_examples(fmt, lines, parsed.errors))
    else:
        raise ValueError(f"Unknown import format '{fmt}'.")
    parsed.errors.sort(key=lambda error: error.line)
    return parsed


def detect_format(filename: str, data: bytes) -> str:
    """Guess the format from the file name and the keys of the first record."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in {".csv", ".tsv"}:
        return "csv"
    lines, _ = decode_lines(data)
    first = next(_objects(lines, []), None)
    keys = set(first[1]) if first else set()
    for fmt, needed in (
        ("raw", {"content", "method", "status"}),
        ("seed_tasks", {"instruction", "instances"}),
        ("sharegpt", {"conversations"}),
        ("openai_chat", {"messages"}),
        ("classification", {"text", "label"}),
    ):
        if needed <= keys:
            return fmt
    return "alpaca"


def seed_tasks_from(parsed: ParsedFile) -> tuple[list[SeedTask], list[LineError]]:
    """Seed tasks from a parsed file: Self-Instruct tasks as they are, examples as one instance."""
    if parsed.fmt == "seed_tasks":
        return list(parsed.records), list(parsed.errors)
    tasks, errors = [], list(parsed.errors)
    for record in parsed.records:
        if isinstance(record, Example) and "instruction" in record.content:
            content = record.content
            instance = {"input": content["input"], "output": content["output"]}
            tasks.append(SeedTask(instruction=content["instruction"], instances=[instance]))
        else:
            line = getattr(record, "line", 0)
            errors.append(LineError(line, "only instruction data can become seed tasks"))
    return tasks, errors
