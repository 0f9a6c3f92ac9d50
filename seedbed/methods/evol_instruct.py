"""Evol-Instruct (Xu et al., 2023, WizardLM): rewrite instructions into harder or new ones.

Each request evolves one seed or accepted instruction with one operation, drawn
at random from the allowed ones: five in-depth operations (add constraints,
deepen, concretize, increase reasoning steps: harder by a few words; complicate the
input: add data in a sampled format, XML, SQL, Python, a table, JSON or a formula,
written out in the task), or in-breadth (a new, rarer task of the same domain).

The paper's elimination checks, each stored as a check (a failed one flags):
- "scaffolding": the evolved instruction copies words of the evolving prompt
  ("#Rewritten Prompt#", "given prompt", ...). A leading "#Rewritten Prompt#:"
  label is read as a header and removed first.
- "information_gain": the LLM judges (stage "judge", a Yes/No equality question)
  whether the evolved instruction equals its parent.
- "apology": the answer (stage "answer") contains "sorry" and is short (< 80 words).
- "content": the answer holds only punctuation and stop words.
An instruction that fails a check is kept as a flagged draft and not sent further.
Lineage: the parent (seed or candidate), the operation and the generation
(the parent's generation + 1; seeds are generation 0).
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import Any, Literal

from pydantic import Field, model_validator

from seedbed.methods.base import Draft, Method, MethodContext, Outcome, Request
from seedbed.methods.common import (
    answer_request,
    check_dicts,
    checks_from,
    single_text_checks,
    strip_preamble,
    yes_no,
)
from seedbed.methods.prompts import user_message
from seedbed.methods.sources import Source, SourceOptions, pick_sources, select_sources
from seedbed.models import Check, GenerationParams, Message, ProjectKind

METHOD = "evol_instruct"
Operation = Literal[
    "add_constraints", "deepen", "concretize", "increase_reasoning", "complicate_input", "breadth"
]
DEPTH_HOW: dict[str, str] = {
    "add_constraints": "add one more constraint or requirement to the task.",
    "deepen": "if the task asks about an issue, make it ask about the issue in more depth "
    "and breadth.",
    "concretize": "replace general concepts in the task with more specific ones.",
    "increase_reasoning": "if the task can be solved with a few simple steps of thinking, "
    "rewrite it to ask explicitly for reasoning in several steps.",
}
# "Complicate input" has its own prompt (the paper's): it adds data in a format drawn
# from these, with no cap on words, since the data must be written out in the task.
DATA_FORMATS = ("XML data", "an SQL table", "Python code", "a table", "JSON data", "a formula")
OPERATIONS: tuple[str, ...] = (*DEPTH_HOW, "complicate_input", "breadth")
# The sampling of the WizardLM code for evolving and answering; the judge is greedy.
EVOLVE_PARAMS = GenerationParams(temperature=1.0, top_p=0.95, max_tokens=2048)
JUDGE_PARAMS = GenerationParams(temperature=0.0, top_p=1.0, max_tokens=5)
SCAFFOLDING = (
    "#given prompt#",
    "#rewritten prompt#",
    "#created prompt#",
    "given prompt",
    "rewritten prompt",
    "created prompt",
)
_LEADING_LABEL = re.compile(
    r"^[\s*#]*(?:the\s+)?(?:rewritten|created|new)\s+(?:prompt|task)[\s*#]*:?[\s*]*",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")


class EvolInstructOptions(SourceOptions):
    stage_params = {"evolve": EVOLVE_PARAMS, "judge": JUDGE_PARAMS, "answer": EVOLVE_PARAMS}
    operations: list[Operation] = Field(
        default_factory=lambda: list(OPERATIONS), min_length=1, description="Drawn at random"
    )
    added_words_min: int = Field(10, ge=0, description="In-depth: fewest words to add")
    added_words_max: int = Field(20, ge=1, description="In-depth: most words to add")
    apology_max_words: int = Field(80, ge=1, description="'sorry' in fewer words: eliminated")

    @model_validator(mode="after")
    def _words_in_order(self) -> EvolInstructOptions:
        if self.added_words_min > self.added_words_max:
            raise ValueError("added_words_min cannot exceed added_words_max")
        return self


def parent_prompt(source: Source) -> str:
    """The text that gets evolved: the instruction, with its input when it has one."""
    instruction = source.content.get("instruction", "").strip()
    given = source.content.get("input", "").strip()
    return f"{instruction}\n\n{given}" if given else instruction


def build_messages(
    prompt: str, operation: str, options: EvolInstructOptions, data_format: str = ""
) -> list[Message]:
    """The evolving prompt for `operation` (an in-depth one, or "breadth");
    "complicate_input" adds data in `data_format` (one of DATA_FORMATS)."""
    if operation == "breadth":
        return user_message("evol_breadth", prompt=prompt)
    if operation == "complicate_input":
        return user_message("evol_complicate_input", prompt=prompt, data_format=data_format)
    return user_message(
        "evol_depth",
        prompt=prompt,
        how=DEPTH_HOW[operation],
        min_words=options.added_words_min,
        max_words=options.added_words_max,
    )


def judge_messages(parent: str, evolved: str) -> list[Message]:
    """Ask whether the evolution gained anything: are the two instructions equal?"""
    return user_message("evol_judge", first=parent, second=evolved)


def parse(reply: str) -> str:
    """The evolved instruction, without a preamble, a leading label or wrapping quotes."""
    text = strip_preamble(reply)
    return strip_preamble(_LEADING_LABEL.sub("", text, count=1))


def scaffolding_check(text: str) -> Check:
    lowered = text.lower()
    copied = [marker for marker in SCAFFOLDING if marker in lowered]
    return Check(
        name="scaffolding",
        passed=not copied,
        detail=f"copies '{copied[0]}' from the evolving prompt" if copied else "",
    )


def apology_check(answer: str, max_words: int = 80) -> Check:
    words = len(answer.split())
    failed = "sorry" in answer.lower() and words < max_words
    return Check(
        name="apology",
        passed=not failed,
        score=float(words),
        detail=f"says sorry in {words} words (under {max_words})" if failed else "",
    )


@cache
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # slow import: only here

    return frozenset(ENGLISH_STOP_WORDS)


def content_check(answer: str) -> Check:
    words = [word.lower() for word in _WORD.findall(answer)]
    empty = all(word in _stop_words() for word in words)
    return Check(
        name="content",
        passed=not empty,
        detail="only punctuation and stop words" if empty else "",
    )


class EvolInstruct(Method):
    name = METHOD
    title = "Evol-Instruct"
    description = "Harder (in-depth) or new (in-breadth) versions of your instructions (WizardLM)"
    Options = EvolInstructOptions

    def unavailable(self, context: MethodContext) -> str | None:
        if context.project.kind == ProjectKind.CLASSIFICATION:
            return "Evol-Instruct evolves instructions; this project labels texts."
        problem = super().unavailable(context)
        if problem is None:
            _, problem = select_sources(context, EvolInstructOptions.parse(context.options))
        return problem

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        options = EvolInstructOptions.parse(context.options)
        sources, problem = select_sources(context, options)
        if problem:
            raise ValueError(problem)
        requests = []
        for index, source in enumerate(pick_sources(sources, n, rng)):
            operation = rng.choice(options.operations)
            details = {"source": source.model_dump(), "operation": operation}
            if operation == "complicate_input":
                details["data_format"] = rng.choice(DATA_FORMATS)
            prompt = parent_prompt(source)
            requests.append(
                Request(
                    key=f"evolve/{index}/{source.key}/{operation}",
                    stage="evolve",
                    messages=build_messages(
                        prompt, operation, options, details.get("data_format", "")
                    ),
                    params=options.params["evolve"],
                    context=details,
                )
            )
        return requests

    def read(
        self,
        context: MethodContext,
        request: Request,
        reply: str,
        finish_reason: str | None = None,
    ) -> Outcome:
        try:
            options = EvolInstructOptions.parse(context.options)
        except ValueError as error:
            return Outcome(error=str(error))
        readers = {"evolve": _read_evolved, "judge": _read_judgement, "answer": _read_answer}
        if request.stage not in readers:
            return Outcome(error=f"Evol-Instruct has no stage '{request.stage}'.")
        return readers[request.stage](request, reply, options, finish_reason)


def _lineage(context: dict[str, Any]) -> dict[str, Any]:
    source = Source.model_validate(context["source"])
    return source.lineage(operation=context["operation"], generation=source.generation + 1)


def _flagged(instruction: str, checks: list[Check], context: dict[str, Any]) -> Outcome:
    content = {"instruction": instruction, "input": "", "output": ""}
    return Outcome(drafts=[Draft(content=content, checks=checks, lineage=_lineage(context))])


def _read_evolved(
    request: Request, reply: str, options: EvolInstructOptions, finish_reason: str | None = None
) -> Outcome:
    evolved = parse(reply)
    if not evolved:
        return Outcome(error="The reply held no evolved instruction.")
    # A cut instruction is flagged and goes no further, like one with scaffolding.
    checks = [scaffolding_check(evolved), *single_text_checks(finish_reason)]
    if not all(check.passed for check in checks):
        return _flagged(evolved, checks, request.context)
    parent = parent_prompt(Source.model_validate(request.context["source"]))
    judge = Request(
        key=f"{request.key}/judge",
        stage="judge",
        messages=judge_messages(parent, evolved),
        params=options.params["judge"],
        context={**request.context, "instruction": evolved, "checks": check_dicts(checks)},
    )
    return Outcome(follow_ups=[judge])


def _read_judgement(
    request: Request, reply: str, options: EvolInstructOptions, finish_reason: str | None = None
) -> Outcome:
    # A Yes/No verdict: its few-token cap is meant, so a cut reply is no fault.
    equal = yes_no(reply)
    detail = {True: "judged equal to its parent", False: "judged different from its parent"}
    check = Check(
        name="information_gain",
        passed=equal is not True,
        detail=detail.get(equal, f"the judge's reply was unclear: {reply.strip()[:80]!r}"),
    )
    context = request.context
    checks = [*checks_from(context), check]
    if not check.passed:
        return _flagged(context["instruction"], checks, context)
    answer = answer_request(
        request.key.removesuffix("/judge") + "/answer",
        context["instruction"],
        "",
        options.params["answer"],
        source=context["source"],
        operation=context["operation"],
        checks=check_dicts(checks),
    )
    return Outcome(follow_ups=[answer])


def _read_answer(
    request: Request, reply: str, options: EvolInstructOptions, finish_reason: str | None = None
) -> Outcome:
    # A cut answer is flagged by the engine (Method.read).
    output = reply.strip()
    if not output:
        return Outcome(error="The answer was empty.")
    context = request.context
    checks = [
        *checks_from(context),
        apology_check(output, options.apology_max_words),
        content_check(output),
    ]
    content = {"instruction": context["instruction"], "input": "", "output": output}
    return Outcome(drafts=[Draft(content=content, checks=checks, lineage=_lineage(context))])
