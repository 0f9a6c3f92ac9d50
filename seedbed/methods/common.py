"""Pieces several methods share: instruction filters, reading replies, answering instructions.

Nothing here calls a backend or the store; see `seedbed.methods.base` for the contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from pydantic import Field, model_validator

from seedbed import checks
from seedbed.checks import (
    MAX_WORDS,
    MIN_WORDS,
    NOVELTY_THRESHOLD,
    refusal_check,
    truncated_check,
    was_cut,
)
from seedbed.methods.base import Draft, MethodContext, MethodOptions, Outcome, Request
from seedbed.methods.prompts import user_message
from seedbed.models import Candidate, Check, GenerationParams, Project, ProjectKind

# Outputs of instruction projects: a careful answer, long enough for a worked solution.
ANSWER_PARAMS = GenerationParams(temperature=0.7, top_p=0.9, max_tokens=1024)

# "Sure! Here is the article:" on its own line, or a bare "Sure!" line.
_PREAMBLE = re.compile(
    r"^(?:(?:sure|certainly|of course|okay|ok|absolutely|here(?:'s| is| are))\b[^\n]*:"
    r"|(?:sure|certainly|of course|okay|ok|absolutely)[!.,]?)[ \t]*(?:\n|$)",
    re.IGNORECASE,
)
# "1. x", "2) x", "- x", "**3.** x", "Version 4: x"; "3.5 million" is no list item.
_LIST_ITEM = re.compile(
    r"^\s*(?:\*\*)?(?:\d{1,3}\s*[.):-](?=\s|\*|$)|[-*•](?=\s)"
    r"|(?:paraphrase|version|rewrite|option|variant)\s*\d+\s*[.:)-]?)(?:\*\*)?\s*(.*)$",
    re.IGNORECASE,
)
_YES = re.compile(r"^\W*(yes|true|equal|same)\b", re.IGNORECASE)
_NO = re.compile(r"^\W*(no|false|not equal|different|unequal)\b", re.IGNORECASE)


class InstructionFilterOptions(MethodOptions):
    """The Self-Instruct filters' numbers, for methods that write new instructions."""

    novelty_threshold: float = Field(
        NOVELTY_THRESHOLD,
        gt=0,
        le=1,
        description="A new instruction whose ROUGE-L F against the pool is above this is flagged",
    )
    min_words: int = Field(MIN_WORDS, ge=1, description="Fewer words: flagged")
    max_words: int = Field(MAX_WORDS, ge=1, description="More words: flagged")

    @model_validator(mode="after")
    def _words_in_order(self) -> Self:
        if self.min_words > self.max_words:
            raise ValueError("min_words cannot exceed max_words")
        return self


def instruction_checks(
    text: str, context: MethodContext, options: InstructionFilterOptions
) -> list[Check]:
    """Self-Instruct's checks on a new instruction, against the run's novelty pool."""
    return checks.instruction_checks(
        text,
        context.novelty,
        threshold=options.novelty_threshold,
        min_words=options.min_words,
        max_words=options.max_words,
    )


# How prompts tie an item to its label: a topic by default; sentiment and intent read
# wrong as topics ("a review whose topic is 'negative'").
LABEL_PHRASES = {
    "topic": 'whose topic is "{label}"',
    "sentiment": 'whose sentiment is "{label}"',
    "intent": 'whose intent is "{label}"',
}


def label_words(project: Project, label: str) -> str:
    """The project's label phrase for `label`, e.g. 'whose sentiment is "negative"'."""
    phrase = project.label_phrase or LABEL_PHRASES["topic"]
    return phrase.replace("{label}", label)  # not str.format: a phrase may hold braces


def item_noun(project: Project) -> str:
    """What one generated item is called in prompts."""
    if project.item_name:
        return project.item_name
    if project.kind == ProjectKind.CLASSIFICATION:
        return "text"
    return "task instruction for an AI assistant"


def plural(noun: str) -> str:
    """English plural of an item noun: "news article" -> "news articles",
    "task instruction for an AI assistant" -> "task instructions for an AI assistant"."""
    head, sep, tail = noun.partition(" for ")
    if head.endswith(("s", "x", "ch", "sh")):
        head += "es"
    elif head.endswith("y") and head[-2:-1] not in ("a", "e", "i", "o", "u"):
        head = head[:-1] + "ies"
    else:
        head += "s"
    return head + sep + tail


def project_labels(project: Project, wanted: list[str]) -> list[str | None]:
    """The labels a run cycles through: the chosen ones, else all (None when unlabelled)."""
    labels = wanted or list(project.labels)
    return list(labels) or [None]


def unknown_labels(project: Project, wanted: list[str]) -> str | None:
    missing = [label for label in wanted if label not in project.labels]
    if missing:
        return f"Unknown label(s): {', '.join(missing)}. The project's labels: " + ", ".join(
            project.labels
        )
    return None


def normalise(text: str) -> str:
    """Whitespace collapsed, for comparing texts."""
    return " ".join(text.split())


def strip_preamble(reply: str) -> str:
    """The reply without a chatty first line ('Sure! Here is ...:') or wrapping quotes."""
    text = _PREAMBLE.sub("", reply.strip(), count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def list_items(reply: str, joiner: str = " ") -> list[str]:
    """The items of a numbered or bulleted list, in order, each once.

    Lines before the first item are a preamble and dropped; an unmarked line after
    an item continues it. A reply with no list marker at all gives its paragraphs
    (blank-line separated), after a chatty first line is removed.
    """
    items: list[str] = []
    for line in reply.splitlines():
        match = _LIST_ITEM.match(line)
        if match:
            items.append(match.group(1).strip())
        elif items and line.strip():
            items[-1] = f"{items[-1]}{joiner}{line.strip()}".strip()
    if not items:
        items = re.split(r"\n\s*\n", strip_preamble(reply))
    cleaned = [strip_preamble(item).strip() for item in items]
    return list(dict.fromkeys(item for item in cleaned if item))


T = TypeVar("T")


def drop_cut_last(items: list[T], finish_reason: str | None) -> tuple[list[T], list[Check]]:
    """A list reply's items, without the last when the reply was cut at its token limit.

    The original Self-Instruct discards a cut reply's last instruction and last
    instance: it likely ends mid-item. The checks returned (a passed `truncated`
    check, or none) go on the items kept, so each still says its reply was cut.
    """
    if not was_cut(finish_reason) or not items:
        return items, []
    return items[:-1], [truncated_check(dropped_last=True)]


def single_text_checks(finish_reason: str | None) -> list[Check]:
    """The checks of a single-text reply's draft: a failed `truncated` check when cut."""
    return [truncated_check()] if was_cut(finish_reason) else []


def yes_no(reply: str) -> bool | None:
    """True for a reply starting with yes, False for no, None when it says neither."""
    text = strip_preamble(reply).strip().strip("*").strip()
    if _NO.match(text):
        return False
    if _YES.match(text):
        return True
    return None


def check_dicts(checks: list[Check]) -> list[dict[str, Any]]:
    """Checks as JSON for a request's context."""
    return [check.model_dump() for check in checks]


def checks_from(context: Mapping[str, Any], key: str = "checks") -> list[Check]:
    return [Check.model_validate(check) for check in context.get(key, [])]


def answer_request(
    key: str, instruction: str, input_text: str, params: GenerationParams, **context: Any
) -> Request:
    """The request for the output of a new instruction (stage "answer")."""
    return Request(
        key=key,
        stage="answer",
        messages=user_message("respond", instruction=instruction, input=input_text),
        params=params,
        context={"instruction": instruction, "input": input_text, **context},
    )


def answer_outcome(request: Request, reply: str, **draft: Any) -> Outcome:
    """The draft an "answer" reply completes: the instruction, its input and this output.

    The checks carried in the request's context (the instruction's) come first;
    the refusal check covers the output too.
    """
    output = reply.strip()
    if not output:
        return Outcome(error="The answer was empty.")
    context = request.context
    content = {"instruction": context["instruction"], "input": context["input"], "output": output}
    checks = with_refusal(checks_from(context), output)
    return Outcome(drafts=[Draft(content=content, checks=checks, **draft)])


def with_refusal(checks: list[Check], text: str) -> list[Check]:
    """`checks` with one "refusal" check that fails if `text` or an earlier part refused."""
    refusal = refusal_check(text)
    earlier = [check for check in checks if check.name == "refusal"]
    if not earlier:
        return [*checks, refusal]
    if earlier[0].passed and not refusal.passed:
        return [refusal if check is earlier[0] else check for check in checks]
    return checks


def candidate_lineage(candidate: Candidate) -> dict[str, Any]:
    """A stored candidate's lineage ({} when the store keeps none)."""
    return dict(getattr(candidate, "lineage", None) or {})
