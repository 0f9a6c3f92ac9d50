"""Export records: Alpaca and OpenAI chat, one JSON object a line."""

from __future__ import annotations

import json

import pytest

from seedbed.export import FORMATS, alpaca_record, export_lines, openai_chat_record
from seedbed.models import Candidate, Project, ProjectKind

INSTRUCTION_PROJECT = Project(id=1, name="Tasks")
NEWS_PROJECT = Project(
    id=2, name="News", kind=ProjectKind.CLASSIFICATION, labels=["business", "sports"]
)


def instruction_candidate(**kwargs) -> Candidate:
    content = {"instruction": "Add the numbers.", "input": "2 + 3", "output": "5"}
    return Candidate(project_id=1, content=content, method="self_instruct", **kwargs)


def news_candidate(**kwargs) -> Candidate:
    content = {"text": "Lagos FC won 2-1.", "label": "sports"}
    return Candidate(project_id=2, content=content, method="attrprompt", label="sports", **kwargs)


def test_alpaca_instruction_record() -> None:
    assert alpaca_record(instruction_candidate(), INSTRUCTION_PROJECT) == {
        "instruction": "Add the numbers.",
        "input": "2 + 3",
        "output": "5",
    }


def test_alpaca_classification_record() -> None:
    assert alpaca_record(news_candidate(), NEWS_PROJECT) == {
        "instruction": "Classify the text into one of these labels: business, sports.",
        "input": "Lagos FC won 2-1.",
        "output": "sports",
    }


def test_openai_chat_records() -> None:
    assert openai_chat_record(instruction_candidate(), INSTRUCTION_PROJECT) == {
        "messages": [
            {"role": "user", "content": "Add the numbers.\n\n2 + 3"},
            {"role": "assistant", "content": "5"},
        ]
    }
    no_input = instruction_candidate().model_copy(
        update={"content": {"instruction": "Name a colour.", "input": "", "output": "Blue"}}
    )
    record = openai_chat_record(no_input, INSTRUCTION_PROJECT, system_prompt="Be brief.")
    assert record == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Name a colour."},
            {"role": "assistant", "content": "Blue"},
        ]
    }
    news = openai_chat_record(news_candidate(), NEWS_PROJECT)["messages"]
    assert news[0]["content"] == (
        "Classify the text into one of these labels: business, sports.\n\nLagos FC won 2-1."
    )
    assert news[1] == {"role": "assistant", "content": "sports"}


def test_the_edited_content_wins() -> None:
    edited = instruction_candidate(
        edited_content={"instruction": "Add them up.", "input": "2 + 3", "output": "Five"}
    )
    assert alpaca_record(edited, INSTRUCTION_PROJECT)["output"] == "Five"
    relabelled = news_candidate(edited_content={"text": "Lagos FC won 2-1.", "label": "business"})
    assert alpaca_record(relabelled, NEWS_PROJECT)["output"] == "business"


def test_export_lines_one_object_a_line_with_unicode_kept() -> None:
    candidates = [
        instruction_candidate(),
        instruction_candidate().model_copy(
            update={
                "content": {
                    "instruction": "Translate into French.",
                    "input": "Coffee\nshop",
                    "output": "café — 咖啡馆",
                }
            }
        ),
    ]
    for fmt in FORMATS:
        lines = list(export_lines(candidates, INSTRUCTION_PROJECT, fmt))
        assert len(lines) == 2
        assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
        assert "café — 咖啡馆" in lines[1]
        assert "\\u" not in lines[1]
        records = [json.loads(line) for line in lines]
        assert records[0] == (
            alpaca_record(candidates[0], INSTRUCTION_PROJECT)
            if fmt == "alpaca"
            else openai_chat_record(candidates[0], INSTRUCTION_PROJECT)
        )


def test_export_lines_passes_the_system_prompt() -> None:
    [line] = export_lines([news_candidate()], NEWS_PROJECT, "openai_chat", "You label news.")
    assert json.loads(line)["messages"][0] == {"role": "system", "content": "You label news."}


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown export format 'csv'"):
        list(export_lines([news_candidate()], NEWS_PROJECT, "csv"))
