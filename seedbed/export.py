"""Export formats: one JSON record a line, UTF-8 kept as is."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from seedbed.models import Candidate, Project

FORMATS = {"alpaca": "Alpaca (instruction, input, output)", "openai_chat": "OpenAI chat (messages)"}


def _instruction_triple(candidate: Candidate, project: Project) -> tuple[str, str, str]:
    """(instruction, input, output) for either kind of project."""
    content = candidate.final_content
    if "text" in content:
        labels = ", ".join(project.labels)
        instruction = f"Classify the text into one of these labels: {labels}."
        return instruction, content["text"], content.get("label", candidate.label or "")
    return content.get("instruction", ""), content.get("input", ""), content.get("output", "")


def alpaca_record(candidate: Candidate, project: Project) -> dict[str, str]:
    instruction, input_text, output = _instruction_triple(candidate, project)
    return {"instruction": instruction, "input": input_text, "output": output}


def openai_chat_record(
    candidate: Candidate, project: Project, system_prompt: str = ""
) -> dict[str, list[dict[str, str]]]:
    instruction, input_text, output = _instruction_triple(candidate, project)
    user = f"{instruction}\n\n{input_text}" if input_text else instruction
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": output}]
    return {"messages": messages}


def export_lines(
    candidates: Iterable[Candidate], project: Project, fmt: str, system_prompt: str = ""
) -> Iterator[str]:
    """One JSON line per candidate in format `fmt` (a key of FORMATS)."""
    for candidate in candidates:
        if fmt == "alpaca":
            record: dict = alpaca_record(candidate, project)
        elif fmt == "openai_chat":
            record = openai_chat_record(candidate, project, system_prompt)
        else:
            raise ValueError(f"Unknown export format '{fmt}'.")
        yield json.dumps(record, ensure_ascii=False) + "\n"
