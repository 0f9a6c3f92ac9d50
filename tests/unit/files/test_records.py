"""Exports: every format against its schema and through Hugging Face datasets, card, atomicity."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import insert

from seedbed.cli import main as cli
from seedbed.errors import ExportError
from seedbed.files import bundle
from seedbed.files.bundle import ExportOptions, MemorySink, export_to_path, write_export
from seedbed.files.formats import RECORD_MODELS
from seedbed.files.records import (
    FORMATS,
    alpaca_record,
    classification_record,
    export_lines,
    openai_chat_record,
    sharegpt_record,
)
from seedbed.models import (
    Candidate,
    CandidateFilter,
    CandidateStatus,
    Project,
    ProjectKind,
    Review,
    utcnow,
)
from seedbed.review import curation
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.export_data import INSTRUCTIONS, NEWS, Filled, fill

INSTRUCTION_PROJECT = Project(id=1, name="Tasks")
NEWS_PROJECT = Project(
    id=2, name="News", kind=ProjectKind.CLASSIFICATION, labels=["business", "sports"]
)
ALL = CandidateFilter()


def instruction_candidate(**kwargs) -> Candidate:
    content = {"instruction": "Add the numbers.", "input": "2 + 3", "output": "5"}
    return Candidate(project_id=1, content=content, method="self_instruct", **kwargs)


def news_candidate(**kwargs) -> Candidate:
    content = {"text": "Lagos FC won 2-1.", "label": "sports"}
    return Candidate(project_id=2, content=content, method="attrprompt", label="sports", **kwargs)


@pytest.fixture
def store(every_store: Store) -> Store:
    """Every test here runs on SQLite and, when configured, on PostgreSQL."""
    return every_store


@pytest.fixture
def filled(store: Store) -> Filled:
    return fill(store)


def project(store: Store, project_id: int) -> Project:
    return store.get_project(project_id)


def export_dir(store: Store, project_id: int, tmp_path: Path, **options) -> Path:
    out = tmp_path / "export"
    export_to_path(store, project(store, project_id), ExportOptions(**options), out)
    return out


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- one record ------------------------------------------------------------------------
def test_alpaca_records_of_both_kinds() -> None:
    assert alpaca_record(instruction_candidate(), INSTRUCTION_PROJECT) == {
        "instruction": "Add the numbers.",
        "input": "2 + 3",
        "output": "5",
    }
    assert alpaca_record(news_candidate(), NEWS_PROJECT) == {
        "instruction": "Classify the text into one of these labels: business, sports.",
        "input": "Lagos FC won 2-1.",
        "output": "sports",
    }


def test_chat_and_sharegpt_records_carry_the_same_turns() -> None:
    chat = openai_chat_record(instruction_candidate(), INSTRUCTION_PROJECT, "Be brief.")
    assert chat == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Add the numbers.\n\n2 + 3"},
            {"role": "assistant", "content": "5"},
        ]
    }
    assert sharegpt_record(instruction_candidate(), INSTRUCTION_PROJECT) == {
        "conversations": [
            {"from": "human", "value": "Add the numbers.\n\n2 + 3"},
            {"from": "gpt", "value": "5"},
        ]
    }
    with_system = sharegpt_record(news_candidate(), NEWS_PROJECT, "You label news.")
    assert with_system["conversations"][0] == {"from": "system", "value": "You label news."}
    assert with_system["conversations"][-1] == {"from": "gpt", "value": "sports"}


CHAT = {
    "user_1": "Name a river?",
    "assistant_1": "The Amazon.",
    "user_2": "How long is it?",
    "assistant_2": "About 6,400 km.",
}


def test_a_conversation_exports_every_turn_in_order() -> None:
    candidate = Candidate(project_id=1, content=dict(reversed(CHAT.items())), method="conversation")
    chat = openai_chat_record(candidate, INSTRUCTION_PROJECT, "Be brief.")
    assert chat["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name a river?"},
        {"role": "assistant", "content": "The Amazon."},
        {"role": "user", "content": "How long is it?"},
        {"role": "assistant", "content": "About 6,400 km."},
    ]
    assert [
        turn["from"] for turn in sharegpt_record(candidate, INSTRUCTION_PROJECT)["conversations"]
    ] == ["human", "gpt", "human", "gpt"]
    for fmt in ("openai_chat", "sharegpt"):
        [line] = export_lines([candidate], INSTRUCTION_PROJECT, fmt)
        RECORD_MODELS[fmt].model_validate_json(line)
    with pytest.raises(ExportError, match="is a conversation: Alpaca holds one exchange"):
        alpaca_record(candidate, INSTRUCTION_PROJECT)


def test_conversations_are_duplicates_when_their_user_turns_are() -> None:
    other_answers = CHAT | {"assistant_2": "Roughly 4,000 miles."}
    assert bundle.dedup_key(CHAT) == bundle.dedup_key(other_answers)
    assert bundle.dedup_key(CHAT) == "Name a river?\nHow long is it?"
    assert bundle.dedup_key(CHAT | {"user_2": "Where does it end?"}) != bundle.dedup_key(CHAT)


def test_the_edited_content_wins_everywhere() -> None:
    relabelled = news_candidate(edited_content={"text": "Lagos FC won 2-1.", "label": "business"})
    assert alpaca_record(relabelled, NEWS_PROJECT)["output"] == "business"
    assert classification_record(relabelled, NEWS_PROJECT) == {
        "text": "Lagos FC won 2-1.",
        "label": "business",
    }
    with pytest.raises(ExportError, match="needs a classification project"):
        classification_record(instruction_candidate(), INSTRUCTION_PROJECT)


def test_lines_are_one_object_each_with_unicode_kept() -> None:
    tricky = "café — 咖啡馆 😊\u2028next\x85line\ttab"
    candidate = instruction_candidate().model_copy(
        update={"content": {"instruction": "Translate.", "input": "Coffee\nshop", "output": tricky}}
    )
    outputs = {
        "alpaca": lambda r: r["output"],
        "openai_chat": lambda r: r["messages"][-1]["content"],
        "sharegpt": lambda r: r["conversations"][-1]["value"],
    }
    for fmt, output in outputs.items():
        [line] = export_lines([candidate], INSTRUCTION_PROJECT, fmt)
        # One line for every reader, even one splitting with str.splitlines().
        assert line.endswith("\n") and len(line.splitlines()) == 1
        assert "café — 咖啡馆 😊" in line  # UTF-8 as it is, not \u escapes
        assert output(json.loads(line)) == tricky


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown export format 'csv'"):
        list(export_lines([news_candidate()], NEWS_PROJECT, "csv"))


# -- whole exports -----------------------------------------------------------------------
def test_every_format_matches_its_schema(store: Store, filled: Filled, tmp_path: Path) -> None:
    for pid in (filled.instruction_id, filled.news_id):
        formats = [f for f in FORMATS if f != "classification" or pid == filled.news_id]
        out = export_dir(store, pid, tmp_path / str(pid), formats=formats, where=ALL)
        for fmt in formats:
            if fmt == "preference" and pid == filled.news_id:
                # No news prompt has both an accepted and a rejected answer: no empty file.
                assert not (out / "preference.jsonl").exists()
                assert "No preference pair was found" in (out / "README.md").read_text()
                continue
            lines = (out / f"{fmt}.jsonl").read_text(encoding="utf-8").splitlines()
            assert lines, fmt
            for line in lines:
                RECORD_MODELS[fmt].model_validate_json(line)


def test_every_export_loads_with_hugging_face_datasets(
    store: Store, filled: Filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    from datasets import load_dataset

    for pid in (filled.instruction_id, filled.news_id):
        formats = [f for f in FORMATS if f != "classification" or pid == filled.news_id]
        options = {"formats": formats, "where": ALL, "validation_fraction": 0.25, "seed": 3}
        out = export_dir(store, pid, tmp_path / str(pid), **options)
        for path in sorted(out.glob("*.jsonl")):
            expected = records(path)
            if not expected:
                continue
            loaded = load_dataset(
                "json", data_files=str(path), split="train", cache_dir=str(tmp_path / "c")
            )
            assert loaded.num_rows == len(expected), path.name
            first = loaded[0]
            for key, value in expected[0].items():
                if isinstance(value, str | list) and key != "reviews":
                    assert first[key] == value, (path.name, key)


def test_raw_records_carry_the_provenance(store: Store, filled: Filled, tmp_path: Path) -> None:
    out = export_dir(store, filled.instruction_id, tmp_path, formats=["raw"], where=ALL)
    by_id = {record["id"]: record for record in records(out / "raw.jsonl")}
    assert len(by_id) == 6
    edited = by_id[filled.ids["edited"]]
    assert edited["content"]["output"] == "Bonjour"  # the original text
    assert edited["edited_content"]["output"] == "Bonjour, ça va ? 😊"
    assert edited["reviewed_by"] == "ben" and edited["reviewed_at"].endswith("Z")
    assert edited["project"] == INSTRUCTIONS
    assert edited["seed_ids"] == ["seed_task_0", "seed_task_1"]
    assert edited["model"] == "fake-model" and edited["params"]["top_p"] == 0.5
    assert edited["usage"] == {"prompt_tokens": 120, "completion_tokens": 30}
    assert edited["checks"][0] == {
        "name": "novelty",
        "passed": True,
        "score": 0.3125,
        "detail": "closest: x",
    }
    assert edited["prompt"][0]["content"].startswith("Come up with a series of tasks:")
    [review] = edited["reviews"]
    assert review["decision"] == "accepted" and review["annotator"] == "ben"
    assert review["edited_content"] == edited["edited_content"]
    rejected = by_id[filled.ids["rejected"]]
    assert rejected["status"] == "rejected"
    assert rejected["reviews"][0]["reason"] == "wrong: Mars has no rings"
    assert by_id[filled.ids["pending"]]["reviews"] == []


def test_preference_pairs_from_accepted_and_rejected_answers(
    store: Store, filled: Filled, tmp_path: Path
) -> None:
    out = export_dir(store, filled.instruction_id, tmp_path, formats=["preference"])
    assert records(out / "preference.jsonl") == [
        {
            "prompt": "Name a planet with rings.",
            "chosen": "Saturn",
            "rejected": "Mars",
            "source": "decisions",
        },
        EDIT_PAIR,
    ]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "accepted and rejected candidates answering the same prompt" in card
    assert "reviewers' edits (the edited text chosen, the original rejected)" in card


# ben edited "Bonjour" into this before accepting it: the edit is a preference.
EDIT_PAIR = {
    "prompt": "Greet in French.\n\na friend",
    "chosen": "Bonjour, ça va ? 😊",
    "rejected": "Bonjour",
    "source": "edit",
}


def test_an_edit_is_exported_as_a_preference_pair_marked_edit(
    store: Store, filled: Filled, tmp_path: Path
) -> None:
    out = export_dir(store, filled.instruction_id, tmp_path, formats=["preference"])
    assert [r for r in records(out / "preference.jsonl") if r["source"] == "edit"] == [EDIT_PAIR]
    # Only accepted edits count: a reviewer who then rejected the item preferred neither.
    store.record_review(
        Review(candidate_id=filled.ids["edited"], decision="rejected", annotator="ana")
    )
    again = export_dir(store, filled.instruction_id, tmp_path / "b", formats=["preference"])
    assert not [r for r in records(again / "preference.jsonl") if r["source"] == "edit"]


def test_judged_preference_pairs_win_when_there_are_any(
    store: Store, filled: Filled, tmp_path: Path
) -> None:
    ids = filled.ids
    rows = [
        ("Name a planet with rings.", "Saturn", "Mars", "better"),
        ("Name a planet with rings.", "Saturn", "Uranus", "tie"),
    ]
    with store.engine.begin() as conn:
        for prompt, chosen, rejected, verdict in rows:
            conn.execute(
                insert(t.preference_pairs).values(
                    project_id=filled.instruction_id,
                    prompt=prompt,
                    chosen=chosen,
                    rejected=rejected,
                    chosen_id=ids["plain"],
                    rejected_id=ids["rejected"],
                    verdict=verdict,
                    annotator="ana",
                    created_at=utcnow(),
                )
            )
    out = export_dir(store, filled.instruction_id, tmp_path, formats=["preference"])
    assert records(out / "preference.jsonl") == [
        {
            "prompt": "Name a planet with rings.",
            "chosen": "Saturn",
            "rejected": "Mars",
            "source": "comparison",
        },
        EDIT_PAIR,  # edits join the judged pairs
    ]
    assert "judged in preference mode" in (out / "README.md").read_text(encoding="utf-8")


def test_selection_filters_and_exact_duplicates(
    store: Store, filled: Filled, tmp_path: Path
) -> None:
    out = export_dir(store, filled.instruction_id, tmp_path / "a")
    outputs = [r["output"] for r in records(out / "alpaca.jsonl")]
    assert outputs == ["Saturn", "Bonjour, ça va ? 😊", "Uranus"]  # accepted only, by default
    deduped = export_dir(store, filled.instruction_id, tmp_path / "b", dedup="exact")
    assert [r["output"] for r in records(deduped / "alpaca.jsonl")] == [
        "Saturn",
        "Bonjour, ça va ? 😊",
    ]
    assert "1 dropped" in (deduped / "README.md").read_text(encoding="utf-8")
    sports = CandidateFilter(labels=["sports"], statuses=[CandidateStatus.ACCEPTED])
    news = export_dir(
        store, filled.news_id, tmp_path / "c", formats=["classification"], where=sports
    )
    assert {r["label"] for r in records(news / "classification.jsonl")} == {"sports"}


def test_split_files_are_stratified_and_reproducible(
    store: Store, filled: Filled, tmp_path: Path
) -> None:
    options = {"formats": ["classification"], "validation_fraction": 0.5, "seed": 7}
    first = export_dir(store, filled.news_id, tmp_path / "a", **options)
    again = export_dir(store, filled.news_id, tmp_path / "b", **options)
    train = records(first / "classification-train.jsonl")
    validation = records(first / "classification-validation.jsonl")
    assert len(train) + len(validation) == 7
    # Every label with two items gives one to each split; politics (one item) stays in train.
    assert sorted(r["label"] for r in validation) == ["business", "health", "sports"]
    assert "politics" in {r["label"] for r in train}
    for name in ("classification-train.jsonl", "classification-validation.jsonl"):
        assert (first / name).read_text() == (again / name).read_text()


def test_the_card_states_counts_distributions_and_diversity(
    store: Store, filled: Filled, tmp_path: Path
) -> None:
    news = project(store, filled.news_id)
    options = ExportOptions(formats=["classification", "raw"], license="cc-by-4.0")
    measured: list[list[str]] = []

    def fake_measure(texts):
        measured.append(list(texts))
        return 0.1234 if len(texts) > 1 else None

    sink = MemorySink()
    write_export(store, news, options, sink, fake_measure)
    card = sink.files["README.md"]
    assert card.startswith('---\nlicense: "cc-by-4.0"\npretty_name: "News topic classification"')
    assert "| classification.jsonl | classification | train | 7 |" in card
    assert "| business | 2 | 28.6% |" in card
    assert "| science and technology | 0 | 0.0% |" in card  # a label with no record shows
    assert "### style" in card and "| style 0 | 4 | 57.1% |" in card
    assert "0.1234 over 7 records" in card
    assert "| politics | - |" in card and "| sports | 0.1234 |" in card
    assert "| attrprompt | 7 |" in card and "| fake-model | 7 |" in card
    assert "Candidates: status accepted." in card
    assert len(measured[0]) == 7
    assert set(sink.files) == {"classification.jsonl", "raw.jsonl", "README.md", "recipe.json"}


def test_the_card_and_raw_export_say_which_records_a_judge_decided_alone(
    store: Store, filled: Filled
) -> None:
    news = project(store, filled.news_id)
    options = ExportOptions(formats=["raw"])
    [first, *_] = store.list_candidates(
        filled.news_id, CandidateFilter(statuses=[CandidateStatus.ACCEPTED])
    )
    judged = "AI judge j (automatic)"
    curation.decide(store, first, "accepted", judged, reason="sure", automatic=True)

    sink = MemorySink()
    write_export(store, news, options, sink, None)

    assert "1 of the 7 records were decided by an AI judge alone" in sink.files["README.md"]
    raw = [json.loads(line) for line in sink.files["raw.jsonl"].splitlines()]
    [mine] = [r for r in raw if r["reviews"] and r["reviews"][-1]["annotator"] == judged]
    assert mine["reviews"][-1]["automatic"] is True and mine["reviewed_by"] == judged
    # A person who decides it again takes it over: the card no longer counts it.
    curation.decide(store, store.get_candidate(first.id), "accepted", "ana")
    again = MemorySink()
    write_export(store, news, options, again, None)
    assert "decided by an AI judge alone" not in again.files["README.md"]


@pytest.mark.slow
def test_the_card_measures_diversity_with_the_real_embedder(store: Store, filled: Filled) -> None:
    from seedbed.files.card import embedding_diversity

    sink = MemorySink()
    news = project(store, filled.news_id)
    facts = write_export(
        store, news, ExportOptions(formats=["classification"]), sink, embedding_diversity(store)
    )
    assert 0.0 < facts.aps < 0.6
    assert f"{facts.aps:.4f} over 7 records" in sink.files["README.md"]


# -- atomic writes and the command line ------------------------------------------------------
def test_a_failed_export_leaves_the_folder_as_it_was(
    store: Store, filled: Filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = export_dir(store, filled.instruction_id, tmp_path / "exports", formats=["alpaca"])
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def breaks(*args, **kwargs):
        yield '{"half": "written"}\n'
        raise OSError("disk full")

    monkeypatch.setattr(bundle.export, "export_lines", breaks)
    with pytest.raises(OSError, match="disk full"):
        export_to_path(store, project(store, filled.instruction_id), ExportOptions(), out)
    with pytest.raises(OSError, match="disk full"):
        export_to_path(
            store,
            project(store, filled.instruction_id),
            ExportOptions(),
            tmp_path / "exports" / "x.zip",
        )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["export"]  # no staging left


def test_cli_exports_a_folder_and_a_zip(
    store: Store, filled: Filled, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", store.url)
    base = ["export", "--project", NEWS, "--no-diversity", "--license", "mit"]
    folder = tmp_path / "out"
    args = ["--format", "classification", "--format", "raw", "--validation", "0.3", "--out"]
    assert cli.main([*base, *args, str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "classification-train.jsonl",
        "classification-validation.jsonl",
        "raw-train.jsonl",
        "raw-validation.jsonl",
        "recipe.json",
    ]
    assert "wrote 6 files" in capsys.readouterr().out
    archive = tmp_path / "news.zip"
    assert (
        cli.main([*base, "--format", "sharegpt", "--label", "health", "--out", str(archive)]) == 0
    )
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["README.md", "recipe.json", "sharegpt.jsonl"]
        lines = opened.read("sharegpt.jsonl").decode().splitlines()
        assert 'license: "mit"' in opened.read("README.md").decode()
    assert len(lines) == 2
    nothing = ["--text", "no such words", "--out", str(tmp_path / "none")]
    assert cli.main([*base, *nothing]) == 1
    assert "No candidate matches the selection" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    unfit = ["export", "--project", INSTRUCTIONS, "--format", "classification", "--out"]
    assert cli.main([*unfit, str(tmp_path / "c.jsonl")]) == 1
    assert capsys.readouterr().err.startswith("error: Format classification does not fit")
    assert cli.main([*unfit, str(tmp_path / "c"), "--no-diversity"]) == 1
    assert capsys.readouterr().err.startswith("error: Format classification does not fit")
    mixed = ["--format", "alpaca", "--format", "raw", "--out", str(tmp_path / "a.jsonl")]
    assert cli.main([*base, *mixed]) == 1
    error = capsys.readouterr().err
    assert error.count("error:") == 1 and "one format and no split" in error


def test_an_export_leaves_out_empty_outputs_and_says_how_many(
    store: Store, filled: Filled, tmp_path: Path, capsys, monkeypatch
) -> None:
    # Accepted before acceptance checked for empty fields (or stored by an import).
    for output in ("", "   "):
        content = {"instruction": "Name a planet.", "input": "", "output": output}
        store.add_candidate(
            Candidate(
                project_id=filled.instruction_id,
                content=content,
                method="self_instruct",
                status=CandidateStatus.ACCEPTED,
            )
        )
    tasks = project(store, filled.instruction_id)
    assert bundle.count_empty(store, tasks, CandidateFilter(statuses=["accepted"])) == 2
    sink = MemorySink()
    facts = write_export(store, tasks, ExportOptions(), sink)
    outputs = [json.loads(line)["output"] for line in sink.files["alpaca.jsonl"].splitlines()]
    assert outputs == ["Saturn", "Bonjour, ça va ? 😊", "Uranus"]
    assert facts.summary() == "Ready: 3 records. 2 left out: an empty output or text is not data."

    monkeypatch.setenv("DATABASE_URL", store.url)
    out = tmp_path / "alpaca.jsonl"
    assert cli.main(["export", "--project", INSTRUCTIONS, "--out", str(out)]) == 0
    assert len(records(out)) == 3
    assert "warning: 2 left out: an empty output or text is not data" in capsys.readouterr().err


def test_an_export_of_only_empty_candidates_is_refused_with_the_count(store: Store) -> None:
    project_id = store.create_project(Project(name="Empty"))
    content = {"instruction": "Name a planet.", "input": "", "output": ""}
    store.add_candidate(Candidate(project_id=project_id, content=content, method="x"))
    with pytest.raises(bundle.ExportError, match="^All 1 selected candidates have an empty"):
        write_export(store, project(store, project_id), ExportOptions(where=ALL), MemorySink())
