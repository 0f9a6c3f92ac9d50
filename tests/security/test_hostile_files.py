"""Hostile files: what a careless user or an attacker uploads must be refused line by line,
never crash the import or drop the good lines."""

from __future__ import annotations

import json

from seedbed.files.importers import parse_file
from seedbed.files.seeds import parse_seed_tasks_jsonl
from seedbed.insights.coverage import attribute_table, combination_counts
from seedbed.models import AttributeDimension, AttributeValue

DEEP = "[" * 100_000 + "]" * 100_000
GOOD = {"instruction": "Add.", "input": "2 + 3", "output": "5"}


def test_deeply_nested_json_lines_are_reported_and_the_rest_imports() -> None:
    data = "\n".join([json.dumps(GOOD), DEEP, json.dumps(GOOD)]).encode()
    parsed = parse_file(data, "alpaca")
    assert [r.line for r in parsed.records] == [1, 3]
    assert [str(e) for e in parsed.errors] == ["line 2: JSON nested too deeply to read"]


def test_deeply_nested_json_in_an_array_reports_where_it_stopped() -> None:
    data = ("[\n" + json.dumps(GOOD) + ",\n" + DEEP + "\n]").encode()
    parsed = parse_file(data, "alpaca")
    assert [r.line for r in parsed.records] == [2]
    assert "line 3: JSON nested too deeply" in str(parsed.errors[0])


def test_deeply_nested_seed_task_lines_are_reported() -> None:
    good = {"instruction": "Name a colour.", "instances": [{"input": "", "output": "Teal"}]}
    tasks, errors = parse_seed_tasks_jsonl("\n".join([DEEP, json.dumps(good)]))
    assert [t.instruction for t in tasks] == ["Name a colour."]
    assert [e.line for e in errors] == [1]


def test_insights_with_one_attribute_dimension_counts_it_against_itself() -> None:
    tone = AttributeDimension(
        name="tone", values=[AttributeValue(value="calm"), AttributeValue(value="angry")]
    )
    table = attribute_table([{"tone": "calm"}, {"tone": "calm"}, {"tone": "angry"}, {}])
    counts = combination_counts(table, tone, tone)
    assert counts.index.tolist() == ["calm", "angry"] == counts.columns.tolist()
    assert counts.to_numpy().tolist() == [[2, 0], [0, 1]]
