"""Files in the wrong encoding, or with control characters: read when the file says how it
is encoded, refused with the encoding named when not, and never stored as a NUL value."""

from __future__ import annotations

import json

import pytest

from seedbed.files.attribute_files import dimensions_from_files
from seedbed.files.importers import detect_format, parse_file
from seedbed.files.seeds import parse_seed_tasks_jsonl

ROWS = [
    {"instruction": "Translate to French.", "input": "coffee shop", "output": "café"},
    {"instruction": "Name a river.", "input": "", "output": "Rhône"},
]
JSONL = "\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS) + "\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_data_file_with_a_byte_order_mark_is_read_as_what_it_is(codec: str) -> None:
    data = JSONL.encode(codec)  # Python writes the mark for these three
    assert detect_format("data.jsonl", data) == "alpaca"
    parsed = parse_file(data, "alpaca")
    assert parsed.errors == []
    assert [r.content["output"] for r in parsed.records] == ["café", "Rhône"]


def test_a_utf16_attribute_file_gives_its_values_not_nul_characters() -> None:
    found = dimensions_from_files({"tone.txt": "calm\r\nangry\r\n".encode("utf-16")}, [])
    assert found.problems == []
    assert [v.value for v in found.dimensions[0].values] == ["calm", "angry"]


def test_utf16_without_its_mark_is_named() -> None:
    data = JSONL.encode("utf-16-le")
    [error] = parse_file(data, "alpaca").errors
    assert str(error) == (
        "this file looks like UTF-16 LE without a byte-order mark; save it as UTF-8"
    )
    found = dimensions_from_files({"tone.txt": "calm\nangry\n".encode("utf-16-be")}, [])
    assert found.dimensions == []
    assert found.problems[0].startswith("tone.txt: this file looks like UTF-16 BE")


def test_a_latin1_file_is_named_line_by_line_and_its_utf8_lines_still_read() -> None:
    data = (json.dumps(ROWS[0], ensure_ascii=False).encode("latin-1") + b"\n") + (
        json.dumps(ROWS[1], ensure_ascii=False).encode("utf-8") + b"\n"
    )
    parsed = parse_file(data, "alpaca")
    assert [r.content["output"] for r in parsed.records] == ["Rhône"]
    assert [str(e) for e in parsed.errors] == [
        "line 1: not UTF-8 (it looks like Latin-1 / Windows-1252); save the file as UTF-8"
    ]


@pytest.mark.parametrize("fmt", ["alpaca", "csv", "seed_tasks"])
def test_an_empty_file_says_so(fmt: str) -> None:
    for data in (b"", b"\n  \n", b"\xef\xbb\xbf", "\n".encode("utf-16")):
        parsed = parse_file(data, fmt)
        assert parsed.records == []
        assert [str(e) for e in parsed.errors] == ["the file is empty"]


def test_an_empty_attribute_file_says_so() -> None:
    found = dimensions_from_files({"tone.txt": b""}, [])
    assert found.problems[0] == "tone.txt: the file is empty"


def test_control_characters_in_attribute_values_are_refused() -> None:
    found = dimensions_from_files({"tone.txt": b"calm\nan\x00gry\nwry\x07\nfirm\n"}, [])
    assert [v.value for v in found.dimensions[0].values] == ["calm", "firm"]
    assert found.problems == [
        "tone.txt line 2: holds a control character (U+0000), which no text should",
        "tone.txt line 3: holds a control character (U+0007), which no text should",
    ]


def test_control_characters_in_imported_values_are_refused_line_by_line() -> None:
    nul = {"instruction": "Say hi.", "input": "", "output": "hi\u0000there"}
    data = "\n".join(json.dumps(row) for row in [ROWS[0], nul, ROWS[1]]).encode()
    parsed = parse_file(data, "alpaca")
    assert [r.line for r in parsed.records] == [1, 3]
    assert [str(e) for e in parsed.errors] == [
        "line 2: a value holds a control character (U+0000), which no text should"
    ]
    csv = b"text,label\nGood story.,sports\nBad\x00story,sports\n"
    assert [str(e) for e in parse_file(csv, "csv").errors] == [
        "line 3: a cell holds a control character (U+0000), which no text should"
    ]
    tasks, errors = parse_seed_tasks_jsonl(
        json.dumps({"instruction": "Beep\u0007", "instances": [{"input": "", "output": "x"}]})
    )
    assert tasks == [] and [e.line for e in errors] == [1]


def test_tabs_newlines_and_form_feeds_inside_values_are_ordinary_text() -> None:
    row = {"instruction": "Fix the table.", "input": "a\tb\r\nc\fd", "output": "a\tb"}
    parsed = parse_file(json.dumps(row).encode(), "alpaca")
    assert parsed.errors == [] and parsed.records[0].content["input"] == "a\tb\r\nc\fd"
