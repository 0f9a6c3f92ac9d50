"""Seed task files in Self-Instruct's seed_tasks.jsonl schema."""

from __future__ import annotations

import json

from seedbed.files.seeds import (
    SEED_ROW_COLUMNS,
    dump_seed_tasks_jsonl,
    parse_seed_tasks_jsonl,
    seed_tasks_from_rows,
    seed_tasks_to_rows,
)
from seedbed.models import Instance, SeedTask


def line(**record: object) -> str:
    return json.dumps(record)


def test_valid_and_malformed_lines_are_told_apart() -> None:
    ok = [{"input": "", "output": "hi"}]
    text = "\n".join(
        [
            line(id="seed_task_0", name="greet", instruction="Say hi.", instances=ok),
            "{bad json",
            "",
            line(instances=ok),
            line(instruction="Empty output.", instances=[{"input": "x", "output": "  "}]),
            line(instruction="Extra key.", instances=ok, colour="blue"),
            line(instruction="Wrong type.", instances="nope"),
            "   ",
            line(
                instruction="Add.",
                instances=[{"input": "2+3", "output": "5"}],
                is_classification=False,
            ),
            line(instruction="Flag.", instances=ok, is_classification="maybe"),
            "[1, 2]",
        ]
    )

    tasks, errors = parse_seed_tasks_jsonl(text)

    assert tasks == [
        SeedTask(name="greet", instruction="Say hi.", instances=[Instance(output="hi")]),
        SeedTask(instruction="Add.", instances=[Instance(input="2+3", output="5")]),
    ]
    by_line = {error.line: error.reason for error in errors}
    assert sorted(by_line) == [2, 4, 5, 6, 7, 10, 11]
    assert by_line[2].startswith("not valid JSON")
    assert by_line[4] == "instruction: Field required"
    assert by_line[5] == "instances: every instance needs a non-empty output"
    assert by_line[6] == "colour: Extra inputs are not permitted"
    assert by_line[7] == "instances: Input should be a valid list"
    assert by_line[10].startswith("is_classification: Input should be a valid boolean")
    assert by_line[11] == "expected a JSON object with an instruction"
    assert str(errors[0]) == f"line 2: {by_line[2]}"


def test_blank_lines_and_windows_line_endings_are_fine() -> None:
    record = line(instruction="Say hi.", instances=[{"output": "hi"}])
    tasks, errors = parse_seed_tasks_jsonl(f"\r\n{record}\r\n\r\n{record}\r\n")
    assert errors == []
    assert len(tasks) == 2


def test_a_byte_order_mark_does_not_break_the_first_line() -> None:
    record = line(instruction="Say hi.", instances=[{"output": "hi"}])
    tasks, errors = parse_seed_tasks_jsonl("\ufeff" + record + "\n")
    assert errors == []
    assert [t.instruction for t in tasks] == ["Say hi."]


def test_an_empty_file_has_no_tasks_and_no_errors() -> None:
    assert parse_seed_tasks_jsonl("") == ([], [])
    assert dump_seed_tasks_jsonl([]) == ""


def test_dump_then_parse_round_trips_unicode() -> None:
    tasks = [
        SeedTask(
            name="café",
            instruction="Translate to French: the coffee shop.",
            instances=[Instance(input="", output="le café")],
        ),
        SeedTask(
            instruction="把这句话翻译成英文。",
            instances=[Instance(input="你好，世界", output="Hello, world")],
            is_classification=True,
        ),
    ]

    text = dump_seed_tasks_jsonl(tasks)

    assert "café" in text and "你好，世界" in text  # UTF-8 kept as is, not \u escapes
    assert "\\u" not in text
    parsed, errors = parse_seed_tasks_jsonl(text)
    assert errors == []
    assert parsed == tasks


def test_dump_uses_self_instructs_schema() -> None:
    tasks = [
        SeedTask(id=41, instruction="First.", instances=[Instance(output="1")]),
        SeedTask(id=7, instruction="Second.", instances=[Instance(input="in", output="2")]),
    ]
    lines = dump_seed_tasks_jsonl(tasks).splitlines()

    records = [json.loads(text) for text in lines]
    assert [list(r) for r in records] == [
        ["id", "name", "instruction", "instances", "is_classification"]
    ] * 2
    assert [r["id"] for r in records] == ["seed_task_0", "seed_task_1"]
    assert records[1]["instances"] == [{"input": "in", "output": "2"}]


def test_table_rows_round_trip_keeps_every_instance() -> None:
    tasks = [
        SeedTask(
            name="pair",
            instruction="Add the numbers.",
            instances=[Instance(input="1 2", output="3"), Instance(input="2 2", output="4")],
        ),
        SeedTask(instruction="Say hi in French.", instances=[Instance(output="Salut")]),
    ]
    rows = seed_tasks_to_rows(tasks)
    assert set(rows[0]) == set(SEED_ROW_COLUMNS)
    rows[0]["output"] = "three"  # an edit of the first instance in the table
    rebuilt, problems = seed_tasks_from_rows(rows)
    assert problems == []
    assert rebuilt[0].instances == [Instance(input="1 2", output="three"), tasks[0].instances[1]]
    assert rebuilt[1] == tasks[1]


def test_table_rows_report_invalid_rows_by_number() -> None:
    added = {"name": None, "instruction": float("nan"), "input": None, "output": None}
    valid = {"instruction": "Name a fruit.", "output": "Apple", "is_classification": None}
    tasks, problems = seed_tasks_from_rows([valid, added])
    assert [t.instruction for t in tasks] == ["Name a fruit."]
    assert len(problems) == 1 and problems[0].startswith("Row 2: ")
    assert "instruction" in problems[0]


def test_a_line_separator_inside_a_string_does_not_split_the_line() -> None:
    line = json.dumps(
        {"instruction": "Keep\u2028this.", "instances": [{"input": "", "output": "ok"}]},
        ensure_ascii=False,
    )
    tasks, errors = parse_seed_tasks_jsonl(line + "\r\n" + line)
    assert errors == [] and [t.instruction for t in tasks] == ["Keep\u2028this."] * 2
