"""Imports: every format, malformed files of every kind, one transaction, round trips."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from seedbed.cli import main as cli
from seedbed.files import import_store
from seedbed.files.attribute_files import (
    dimensions_from_files,
    files_from_zip,
    merge_dimensions,
    planned_values,
)
from seedbed.files.bundle import ExportOptions, MemorySink, write_export
from seedbed.files.import_store import import_items, store_items
from seedbed.files.importers import detect_format, parse_file, seed_tasks_from
from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    CandidateFilter,
    CandidateStatus,
    Project,
    ProjectKind,
)
from seedbed.store.core import Store
from tests.export_data import NEWS, Filled, fill

INSTRUCTIONS = Project(id=1, name="Tasks")
NEWS_PROJECT = Project(
    id=2, name="News", kind=ProjectKind.CLASSIFICATION, labels=["business", "Sci/Tech", "sports"]
)


@pytest.fixture
def store(every_store: Store) -> Store:
    """Every test here runs on SQLite and, when configured, on PostgreSQL."""
    return every_store


LATIN_1 = "not UTF-8 (it looks like Latin-1 / Windows-1252); save the file as UTF-8"


def jsonl(*records: object) -> bytes:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    ).encode("utf-8")


def errors_of(data: bytes, fmt: str) -> list[str]:
    return [str(error) for error in parse_file(data, fmt).errors]


# -- parsing ---------------------------------------------------------------------------------
def test_alpaca_jsonl_and_json_array_give_the_same_examples() -> None:
    rows = [
        {"instruction": "Add.", "input": "2 + 3", "output": "5"},
        {"id": 7, "instruction": "Greet in French.", "output": "Bonjour ☕"},
    ]
    from_lines = parse_file(jsonl(*rows), "alpaca")
    from_array = parse_file(json.dumps(rows, indent=2, ensure_ascii=False).encode(), "alpaca")
    assert [e.content for e in from_lines.records] == [e.content for e in from_array.records]
    assert from_lines.records[1].content == {
        "instruction": "Greet in French.",
        "input": "",
        "output": "Bonjour ☕",
    }
    assert [e.line for e in from_array.records] == [2, 7]  # where each object starts
    assert not from_lines.errors and not from_array.errors


def test_malformed_alpaca_lines_are_reported_and_the_rest_imports() -> None:
    data = (
        b"\xef\xbb\xbf"
        + jsonl(
            {"instruction": "First.", "output": "one"},
            "{not json",
            '["a", "list"]',
            {"instruction": "No output."},
            {"instrution": "Typo.", "output": "x"},
            {"instruction": "   ", "output": "blank instruction"},
            {"instruction": "Empty output.", "output": ""},
            "",
        )
        + b'{"instruction": "Bad \xff byte", "output": "x"}\r\n'
        + jsonl({"instruction": "Last.", "output": "ten"})
    )
    parsed = parse_file(data, "alpaca")
    assert [e.content["output"] for e in parsed.records] == ["one", "ten"]
    assert [str(error) for error in parsed.errors] == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes)",
        "line 3: expected a JSON object, found list",
        "line 4: output: Field required",
        "line 5: instruction: Field required; instrution: Extra inputs are not permitted",
        "line 6: the instruction is empty",
        "line 7: the output is empty",
        f"line 9: {LATIN_1}",
    ]


def test_a_broken_json_array_keeps_what_came_before() -> None:
    data = b'[\n  {"instruction": "A.", "output": "a"},\n  {"instruction": "B.", "output": \n]'
    parsed = parse_file(data, "alpaca")
    assert [e.content["instruction"] for e in parsed.records] == ["A."]
    [error] = parsed.errors
    assert error.line == 4 and "the rest of the file was not read" in error.reason


def test_conversations_single_turn_with_a_system_prompt() -> None:
    sharegpt = {
        "id": "x1",
        "conversations": [
            {"from": "system", "value": "Be brief."},
            {"from": "human", "value": "Name a colour."},
            {"from": "gpt", "value": "Teal"},
        ],
    }
    chat = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Name a colour."},
            {"role": "assistant", "content": "Teal", "weight": 1},
        ]
    }
    expected = {"instruction": "Name a colour.", "input": "", "output": "Teal"}
    assert parse_file(jsonl(sharegpt), "sharegpt").records[0].content == expected
    assert parse_file(jsonl(chat), "openai_chat").records[0].content == expected


def test_malformed_conversations() -> None:
    def turns(*pairs):
        return {"conversations": [{"from": f, "value": v} for f, v in pairs]}

    sharegpt = jsonl(
        turns(("human", "Hi"), ("gpt", "Hello"), ("human", "More?"), ("gpt", "Yes")),
        turns(("human", "Hi"), ("gpt", "Hello"), ("human", "Bye")),
        turns(("user", "Hi"), ("gpt", "Hello")),
        {"conversations": []},
    )
    assert errors_of(sharegpt, "sharegpt") == [
        "line 1: is not single-turn (2 user and 2 assistant turns); Seedbed imports one user "
        "turn followed by one reply",
        "line 2: the last turn must be from 'gpt'",
        "line 3: conversations.0.from: Input should be 'system', 'human' or 'gpt'",
        "line 4: conversations: List should have at least 2 items after validation, not 0",
    ]
    chat = jsonl(
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "tool", "content": "x"}]},
        {
            "messages": [
                {"role": "assistant", "content": "A"},
                {"role": "assistant", "content": "B"},
            ]
        },
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""}]},
    )
    errors = errors_of(chat, "openai_chat")
    assert errors[0].startswith("line 1: messages.1.role: Input should be")
    assert errors[1] == "line 2: there is no user message"
    assert errors[2] == "line 3: the output is empty"


def test_csv_with_multiline_cells_extra_columns_and_bad_rows() -> None:
    data = (
        "instruction,input,output,domain\n"
        'Summarise.,"First line\nsecond line",A summary.,writing\n'
        "Add.,2 + 3,5,math\n"
        "Too many,cells,here,x,y\n"
        "No output.,,,math\n"
        ",,,\n"
        'Café,"naïve ☕",ok,\n'
    ).encode()
    parsed = parse_file(data, "csv")
    assert [(e.line, e.content["instruction"]) for e in parsed.records] == [
        (2, "Summarise."),
        (4, "Add."),
        (8, "Café"),
    ]
    assert parsed.records[0].content["input"] == "First line\nsecond line"
    assert parsed.records[0].attributes == {"domain": "writing"}
    assert [str(e) for e in parsed.errors] == [
        "line 5: more cells than header columns",
        "line 6: the output is empty",
    ]


def test_csv_header_and_encoding_problems() -> None:
    assert errors_of(b"prompt,response\nA,B\n", "csv") == [
        "line 1: the header needs instruction and output, or text and label "
        "(found prompt, response)"
    ]
    data = b"text,label\nGood story.,sports\nBad \xff byte,sports\n,sports\n"
    parsed = parse_file(data, "csv")
    assert [e.content for e in parsed.records] == [{"text": "Good story.", "label": "sports"}]
    assert [str(e) for e in parsed.errors] == [
        f"line 3: {LATIN_1}",
        "line 4: the text is empty",
    ]


def test_seed_tasks_and_classification_lines() -> None:
    seeds = jsonl(
        {
            "id": "seed_task_0",
            "instruction": "Add.",
            "instances": [{"input": "1+1", "output": "2"}],
        },
        {"instruction": "No instances.", "instances": []},
    )
    parsed = parse_file(seeds, "seed_tasks")
    assert parsed.records[0].instruction == "Add."
    assert [str(e) for e in parsed.errors] == [
        "line 2: instances: a seed task needs at least one instance (input/output)"
    ]
    # A foreign id is accepted and ignored, as in every other format.
    labelled = jsonl({"id": 3, "text": "Lagos FC won.", "label": "sports"}, {"text": "No label."})
    parsed = parse_file(labelled, "classification")
    assert parsed.records[0].content == {"text": "Lagos FC won.", "label": "sports"}
    assert [str(e) for e in parsed.errors] == ["line 2: label: Field required"]


def test_detect_format_from_name_and_first_record() -> None:
    assert detect_format("data.csv", b"instruction,output\n") == "csv"
    assert detect_format("a.json", b'[{"instruction": "x", "output": "y"}]') == "alpaca"
    assert detect_format("a.jsonl", jsonl({"conversations": []})) == "sharegpt"
    assert detect_format("a.jsonl", jsonl({"messages": []})) == "openai_chat"
    assert detect_format("a.jsonl", jsonl({"text": "t", "label": "l"})) == "classification"
    assert detect_format("a.jsonl", jsonl({"instruction": "x", "instances": []})) == "seed_tasks"
    raw = {"content": {}, "method": "m", "status": "accepted", "project_id": 1}
    assert detect_format("a.jsonl", b"\n" + jsonl(raw)) == "raw"


def test_instruction_data_becomes_seed_tasks() -> None:
    parsed = parse_file(jsonl({"instruction": "Add.", "input": "2 + 3", "output": "5"}), "alpaca")
    [task], errors = seed_tasks_from(parsed)
    assert task.instruction == "Add." and task.instances[0].output == "5" and not errors
    _, errors = seed_tasks_from(parse_file(jsonl({"text": "t", "label": "l"}), "classification"))
    assert [str(e) for e in errors] == ["line 1: only instruction data can become seed tasks"]


# -- fitting to a project and storing ------------------------------------------------------------
def test_examples_fit_the_project_kind_and_labels() -> None:
    parsed = parse_file(
        jsonl(
            {"instruction": "Classify.", "input": "Chips got faster.", "output": "Sci/Tech"},
            {"instruction": "Classify.", "input": "A cat.", "output": "pets"},
        ),
        "alpaca",
    )
    items, errors = import_items(parsed, NEWS_PROJECT)
    assert items[0].candidate.content == {"text": "Chips got faster.", "label": "Sci/Tech"}
    assert items[0].candidate.label == "Sci/Tech"
    assert [str(e) for e in errors] == [
        "line 2: 'pets' is not a label of this project (business, Sci/Tech, sports)"
    ]
    labelled = parse_file(jsonl({"text": "Lagos FC won.", "label": "sports"}), "classification")
    _, errors = import_items(labelled, INSTRUCTIONS)
    assert "this is classification data" in str(errors[0])


def test_accepted_imports_record_who_accepted_them(store: Store) -> None:
    pid = store.create_project(Project(name="Mine"))
    project = store.get_project(pid)
    parsed = parse_file(jsonl({"instruction": "Add.", "output": "5"}), "alpaca")
    items, _ = import_items(parsed, project, CandidateStatus.ACCEPTED, "ana", source="a.jsonl")
    [cid] = store_items(store, pid, items)
    candidate = store.get_candidate(cid)
    assert candidate.status == CandidateStatus.ACCEPTED and candidate.method == "import"
    assert candidate.reviewed_by == "ana" and candidate.params == {"source": "a.jsonl"}
    [review] = store.list_reviews(cid)
    assert (review.decision, review.annotator) == ("accepted", "ana")


def test_an_import_lands_whole_or_not_at_all(store: Store, monkeypatch) -> None:
    pid = store.create_project(Project(name="Mine"))
    project = store.get_project(pid)
    lines = [{"instruction": f"Task {n}.", "output": "x"} for n in range(5)]
    items, _ = import_items(parse_file(jsonl(*lines), "alpaca"), project, CandidateStatus.ACCEPTED)

    def fails(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(import_store, "_insert_reviews", fails)
    with pytest.raises(RuntimeError):
        store_items(store, pid, items)
    assert store.count_candidates(pid) == 0


# -- round trips -----------------------------------------------------------------------------------
def exported(store: Store, project: Project, fmt: str, where=None) -> str:
    sink = MemorySink()
    options = ExportOptions(formats=[fmt], **({"where": where} if where else {}))
    write_export(store, project, options, sink)
    return sink.files[f"{fmt}.jsonl"]


@pytest.mark.parametrize("fmt", ["alpaca", "openai_chat", "sharegpt", "classification"])
def test_export_then_import_then_export_gives_the_same_file(store: Store, fmt: str) -> None:
    filled: Filled = fill(store)
    source_id = filled.news_id if fmt == "classification" else filled.instruction_id
    source = store.get_project(source_id)
    first = exported(store, source, fmt)
    copy_id = store.create_project(source.model_copy(update={"id": None, "name": "Copy"}))
    copy = store.get_project(copy_id)
    items, errors = import_items(parse_file(first.encode(), fmt), copy, CandidateStatus.ACCEPTED)
    assert not errors
    store_items(store, copy_id, items)
    assert exported(store, copy, fmt) == first


def test_raw_export_then_import_keeps_every_candidate_and_review(store: Store) -> None:
    filled = fill(store)
    source = store.get_project(filled.instruction_id)
    raw = exported(store, source, "raw", CandidateFilter())
    copy_id = store.create_project(source.model_copy(update={"id": None, "name": "Copy"}))
    items, errors = import_items(parse_file(raw.encode(), "raw"), store.get_project(copy_id))
    assert not errors
    store_items(store, copy_id, items)
    before = list(store.iter_candidates(filled.instruction_id))
    after = list(store.iter_candidates(copy_id))
    drop = {"id", "project_id", "job_id"}
    assert [c.model_dump(exclude=drop) for c in after] == [
        c.model_dump(exclude=drop) for c in before
    ]
    for old, new in zip(before, after, strict=True):
        assert [
            r.model_dump(exclude={"id", "candidate_id"}) for r in store.list_reviews(new.id)
        ] == [r.model_dump(exclude={"id", "candidate_id"}) for r in store.list_reviews(old.id)]


# -- attribute values from text files -----------------------------------------------
def attrprompt_zip() -> bytes:
    buffer = io.BytesIO()
    root = "agnews/attrprompt/gpt-3.5-turbo"
    files = {
        f"{root}/subtopics/sports.jsonl": "Soccer\nBasketball\n\nSoccer\n",
        f"{root}/subtopics/sci_tech.jsonl": '"Quantum computing"\nRobotics',
        f"{root}/style/style.txt": "Op-Eds: opinions on current events\nFeature writing\n",
        f"{root}/location/location.txt": "Lagos\nQuito\r\n",
        f"{root}/location/location_full.txt": "Lagos, Nigeria\n",
        "agnews/label.txt": "World\nSports\n",
        "__MACOSX/._style.txt": "junk",
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_the_attrprompt_repository_layout() -> None:
    found = dimensions_from_files(files_from_zip(attrprompt_zip()), NEWS_PROJECT.labels)
    by_name = {d.name: d for d in found.dimensions}
    assert list(by_name) == ["location", "style", "subtopics"]
    assert [v.value for v in by_name["location"].values] == ["Lagos", "Quito"]
    assert [v.value for v in by_name["style"].values][0] == "Op-Eds: opinions on current events"
    subtopics = by_name["subtopics"]
    assert subtopics.values == []
    assert {label: [v.value for v in vs] for label, vs in subtopics.per_label.items()} == {
        "Sci/Tech": ["Quantum computing", "Robotics"],
        "sports": ["Soccer", "Basketball"],
    }
    assert found.problems == [
        "agnews/attrprompt/gpt-3.5-turbo/location/location_full.txt: skipped (named neither "
        "after its folder 'location' nor after a label of this project)",
        "agnews/label.txt: skipped (the dataset's list of labels, not attribute values)",
    ]


def test_loose_files_take_the_dimension_from_the_file_name() -> None:
    files = {
        "sports.jsonl": b"Rugby\nCricket\n",
        "style.txt": b"terse\n",
        "location_full.txt": b"Quito\n",
        "notes.md": b"x",
    }
    found = dimensions_from_files(files, NEWS_PROJECT.labels)
    by_name = {d.name: d for d in found.dimensions}
    assert list(by_name) == ["location_full", "subtopics", "style"]
    assert [v.value for v in by_name["subtopics"].per_label["sports"]] == ["Rugby", "Cricket"]
    assert [v.value for v in by_name["style"].values] == ["terse"]
    assert found.problems == ["notes.md: skipped (not a .txt or .jsonl file)"]
    named = dimensions_from_files({"sports.txt": b"Rugby\n"}, NEWS_PROJECT.labels, "subtopic")
    assert [d.name for d in named.dimensions] == ["subtopic"]
    bad = dimensions_from_files({"tone.txt": b"calm\n\xff\xfe\nangry\n"}, [])
    assert [v.value for v in bad.dimensions[0].values] == ["calm", "angry"]
    assert bad.problems == [f"tone.txt line 2: {LATIN_1}"]


def test_planned_values_say_what_each_label_gains() -> None:
    existing = [
        AttributeDimension(name="subtopic", per_label={"sports": [AttributeValue(value="cricket")]})
    ]
    imported = [
        AttributeDimension(
            name="Subtopic",
            per_label={"sports": [AttributeValue(value="cricket"), AttributeValue(value="golf")]},
        ),
        AttributeDimension(name="style", values=[AttributeValue(value="terse")]),
    ]
    plan = planned_values(existing, imported)
    assert [(p.dimension, p.label, p.new, p.already, p.new_dimension) for p in plan] == [
        ("Subtopic", "sports", ["golf"], 1, False),
        ("style", None, ["terse"], 0, True),
    ]


def test_merging_adds_new_values_only() -> None:
    existing = [
        AttributeDimension(name="style", values=[AttributeValue(value="terse", weight=2.0)]),
        AttributeDimension(name="length"),
    ]
    imported = [
        AttributeDimension(
            name="Style",
            values=[AttributeValue(value="terse"), AttributeValue(value="chatty")],
            per_label={"sports": [AttributeValue(value="match report")]},
        ),
        AttributeDimension(name="location", values=[AttributeValue(value="Quito")]),
    ]
    merged = merge_dimensions(existing, imported)
    assert [d.name for d in merged] == ["style", "length", "location"]
    assert [(v.value, v.weight) for v in merged[0].values] == [("terse", 2.0), ("chatty", 1.0)]
    assert merged[0].per_label["sports"][0].value == "match report"
    assert existing[0].values == [AttributeValue(value="terse", weight=2.0)]  # not mutated


# -- the command line ----------------------------------------------------------------
def test_cli_imports_data_seeds_and_attribute_values(
    store: Store, tmp_path: Path, capsys, monkeypatch
) -> None:
    filled = fill(store)
    monkeypatch.setenv("DATABASE_URL", store.url)
    data = tmp_path / "extra.csv"
    data.write_text("instruction,output\nName a moon.,Titan\nBroken,\n", encoding="utf-8")
    args = ["import", str(data), "--project", "General instruction tuning", "--status", "accepted"]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    assert "imported 1 candidate (" in captured.out
    assert "skipped line 3: the output is empty" in captured.err
    newest = store.list_candidates(filled.instruction_id, newest_first=True, limit=1)[0]
    assert newest.final_content["output"] == "Titan" and newest.status == "accepted"

    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps([{"instruction": "Name a moon.", "output": "Titan"}]))
    before = len(store.list_seed_tasks(filled.instruction_id))
    args = ["import", str(seeds), "--project", "General instruction tuning"]
    assert cli.main([*args, "--seeds"]) == 0
    assert len(store.list_seed_tasks(filled.instruction_id)) == before + 1

    values = tmp_path / "values.zip"
    values.write_bytes(attrprompt_zip())
    assert cli.main(["import", str(values), "--project", NEWS]) == 0
    names = [d.name for d in store.list_dimensions(filled.news_id)]
    assert names == ["length", "style", "subtopic", "location", "subtopics"]


def test_seed_tasks_as_a_json_array_are_detected_and_read() -> None:
    tasks = [{"instruction": "Add.", "instances": [{"input": "1+1", "output": "2"}]}]
    data = json.dumps(tasks).encode()
    assert detect_format("seeds.json", data) == "seed_tasks"
    [task] = parse_file(data, "seed_tasks").records
    assert task.instances[0].output == "2"
