"""Self-Instruct (Wang et al., 2023): grow tasks from a pool of seed and accepted tasks.

Three stages, as in the paper:

1. "instructions": 8 in-context instructions (2 machine-generated, the rest seeds)
   in a numbered list; the model continues the list. Each new instruction is
   checked (ROUGE-L novelty against the pool, length, blocklist, punctuation and
   "Write a program"); one that fails becomes a flagged draft and goes no further.
2. "classify": a few-shot Yes/No question, is the task a classification task?
   The user can decide instead (`classification`, `force_classification`).
3. "instances": up to 5 instances, output-first for classification tasks and
   input-first for the others, greedy.

One draft per (instruction, instance). That is the unit a user exports (an Alpaca
record is instruction, input, output), reviews (one instance can be wrong while
its siblings are fine) and counts; the drafts of one task share its instruction,
its checks and its classification verdict (attribute "task type", and lineage
"classification" with who decided and how), and lineage numbers each instance.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from seedbed.methods import self_instruct_instances as instances_stage
from seedbed.methods.base import Draft, Method, MethodContext, Outcome, Request
from seedbed.methods.common import (
    InstructionFilterOptions,
    check_dicts,
    checks_from,
    drop_cut_last,
    instruction_checks,
    normalise,
)
from seedbed.methods.prompts import user_message
from seedbed.models import Check, GenerationParams, Message, ProjectKind

METHOD = "self_instruct"
NUM_SEED_IN_PROMPT = 6
NUM_MACHINE_IN_PROMPT = 2
# The paper stops each request at task 16. Its stop list also has "\n\n", left out here:
# chat models open with "Sure! Here are more tasks:" and a blank line, and would stop there.
STOP = ["\n16", "16.", "16 ."]
# The sampling of the paper's instruction stage (max_tokens 1024 there).
INSTRUCTION_PARAMS = GenerationParams(
    temperature=0.7, top_p=0.5, presence_penalty=2.0, max_tokens=1024, stop=STOP
)

_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.):-]\s*(.*)$")
_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")  # not 2**10


class SelfInstructOptions(InstructionFilterOptions):
    stage_params = {
        "instructions": INSTRUCTION_PARAMS,
        "classify": instances_stage.CLASSIFY_PARAMS,
        "instances": instances_stage.INSTANCE_PARAMS,
    }
    prompt_instructions: int = Field(
        8, ge=1, le=15, description="In-context tasks shown per request (the paper: 8)"
    )
    machine_in_prompt: int = Field(
        2, ge=0, description="Of which accepted machine tasks, when there are (the paper: 2)"
    )
    max_instances: int = Field(
        instances_stage.MAX_INSTANCES, ge=1, le=20, description="Instances asked per task"
    )
    classification: Literal["model", "always", "never"] = Field(
        "model",
        description="Is a task a classification task? 'model' asks the model (stage classify)",
    )
    force_classification: dict[str, bool] = Field(
        default_factory=dict,
        description="Per task (its instruction): true for classification, false if not",
    )
    tasks: list[str] = Field(
        default_factory=list,
        description="Write instances for these instructions only (no new tasks); one round",
    )
    drafts_per_request: int = Field(
        10, ge=1, description="Records one instruction request is expected to yield"
    )

    @model_validator(mode="after")
    def _consistent(self) -> SelfInstructOptions:
        if self.machine_in_prompt > self.prompt_instructions:
            raise ValueError("machine_in_prompt cannot exceed prompt_instructions")
        self.tasks = [normalise(task) for task in self.tasks if task.strip()]
        return self


def sample_prompt_instructions(
    seed_instructions: Sequence[str],
    machine_instructions: Sequence[str],
    rng: random.Random,
    total: int = NUM_SEED_IN_PROMPT + NUM_MACHINE_IN_PROMPT,
    machine: int = NUM_MACHINE_IN_PROMPT,
) -> list[str]:
    """Up to `machine` machine instructions, seeds for the rest of `total`, shuffled."""
    chosen = rng.sample(list(machine_instructions), min(machine, len(machine_instructions)))
    wanted_seeds = total - len(chosen)
    chosen += rng.sample(list(seed_instructions), min(wanted_seeds, len(seed_instructions)))
    rng.shuffle(chosen)
    return chosen


def build_messages(prompt_instructions: Sequence[str]) -> list[Message]:
    """The request that asks for more tasks after the numbered in-context ones.

    As in the paper, each shown instruction is put on one line and loses a
    trailing colon, so the list reads as finished items.
    """
    cleaned = [normalise(instruction).rstrip(":") for instruction in prompt_instructions]
    return user_message("self_instruct_instructions", instructions=cleaned)


def parse(reply: str) -> list[str]:
    """New instructions from a reply, in order, each once.

    A chat model may continue right after the prompt's open number (so the first
    line has no number), renumber from 1, or start with a preamble ending in a
    colon; an unnumbered line after an item continues that item.
    """
    items: list[str] = []
    for line in reply.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        match = _NUMBERED.match(stripped)
        if match:
            if int(match.group(1)) >= 16:
                break
            items.append(match.group(2))
        elif items:
            items[-1] += " " + stripped
        elif not stripped.endswith(":"):
            items.append(stripped)
    # Chat models put titles in bold ("1. **Pun maker**: write a pun"): keep the words.
    cleaned = (normalise(_BOLD.sub(r"\1", item)) for item in items)
    return list(dict.fromkeys(item for item in cleaned if item))


class SelfInstruct(Method):
    name = METHOD
    title = "Self-Instruct"
    description = "New tasks from in-context seed tasks, then instances for each (Wang et al.)"
    Options = SelfInstructOptions

    def unavailable(self, context: MethodContext) -> str | None:
        if context.project.kind == ProjectKind.CLASSIFICATION:
            return "Self-Instruct grows instruction tasks; this project labels texts."
        if not context.seed_tasks:
            return "Self-Instruct needs at least one seed task (Seeds page)."
        return super().unavailable(context)

    def max_rounds(self, context: MethodContext) -> int | None:
        """1 when instances are written for given tasks (another round would repeat them)."""
        return 1 if SelfInstructOptions.parse(context.options).tasks else None

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        options = SelfInstructOptions.parse(context.options)
        if options.tasks:
            # Every listed task, each round: see max_rounds.
            return [
                _task_request(f"task/{i}", text, [], options)
                for i, text in enumerate(options.tasks)
            ]
        seeds = [task.instruction for task in context.seed_tasks]
        machine = [
            text
            for candidate in context.accepted()
            if (text := candidate.final_content.get("instruction", "").strip())
        ]
        requests = []
        for index in range(max(1, math.ceil(n / options.drafts_per_request))):
            shown = sample_prompt_instructions(
                seeds, machine, rng, options.prompt_instructions, options.machine_in_prompt
            )
            requests.append(
                Request(
                    key=f"instructions/{index}",
                    stage="instructions",
                    messages=build_messages(shown),
                    params=options.params["instructions"],
                    context={"shown": shown},
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
            options = SelfInstructOptions.parse(context.options)
        except ValueError as error:
            return Outcome(error=str(error))
        if request.stage == "instructions":
            return _read_instructions(context, request, reply, options, finish_reason)
        if request.stage == "classify":  # a one-word verdict: its 3-token cap is meant
            return _read_classification(request, reply, options)
        if request.stage == "instances":
            return _read_instances(request, reply, options, finish_reason)
        return Outcome(error=f"Self-Instruct has no stage '{request.stage}'.")


def _read_instructions(
    context: MethodContext,
    request: Request,
    reply: str,
    options: SelfInstructOptions,
    finish_reason: str | None,
) -> Outcome:
    shown = {normalise(text).rstrip(":").lower() for text in request.context.get("shown", [])}
    # As the paper does, a reply cut at its token limit loses its last, cut instruction.
    found, cut_marks = drop_cut_last(parse(reply), finish_reason)
    if cut_marks and not found:
        return Outcome(error="The reply was cut at its token limit within its first task.")
    # A chat model often repeats the in-context list first: echoes are not new tasks.
    texts = [text for text in found if text.lower() not in shown]
    if not texts:
        why = "only repeated the example tasks" if found else "held no numbered task"
        return Outcome(error=f"The reply {why}.")
    outcome = Outcome()
    for index, text in enumerate(texts):
        checks = instruction_checks(text, context, options)
        if all(check.passed for check in checks):
            context.novelty.add(text)  # later instructions of this run are compared with it
            outcome.follow_ups.append(
                _task_request(f"{request.key}/{index}", text, checks, options)
            )
        else:
            content = {"instruction": text, "input": "", "output": ""}
            outcome.drafts.append(
                Draft(
                    content=content,
                    checks=[*checks, *cut_marks],
                    lineage={"stage": "instructions"},
                )
            )
    return outcome


def _verdict(instruction: str, options: SelfInstructOptions) -> bool | None:
    """The user's decision for this task, if any (None: ask the model).

    Per-task decisions match the instruction ignoring case and spacing.
    """
    forced = {normalise(text).lower(): flag for text, flag in options.force_classification.items()}
    verdict = forced.get(normalise(instruction).lower())
    if verdict is not None:
        return verdict
    return {"always": True, "never": False}.get(options.classification)


def _task_request(
    key: str, instruction: str, checks: list[Check], options: SelfInstructOptions
) -> Request:
    """Classify the task, or go straight to its instances when the user decided."""
    verdict = _verdict(instruction, options)
    if verdict is None:
        return Request(
            key=f"{key}/classify",
            stage="classify",
            messages=instances_stage.classify_messages(instruction),
            params=options.params["classify"],
            context={
                "instruction": instruction,
                "checks": check_dicts(checks),
                "pool_text": instruction,
            },
        )
    classification = {"is_classification": verdict, "by": "user"}
    return _instances_request(key, instruction, check_dicts(checks), classification, options)


def _instances_request(
    key: str,
    instruction: str,
    checks: list[dict[str, Any]],
    classification: dict[str, Any],
    options: SelfInstructOptions,
) -> Request:
    flag = classification["is_classification"]
    return Request(
        key=f"{key}/instances",
        stage="instances",
        messages=instances_stage.instance_messages(instruction, flag, options.max_instances),
        params=instances_stage.instance_params(options.params["instances"], options.max_instances),
        context={
            "instruction": instruction,
            "checks": checks,
            "classification": classification,
            "pool_text": instruction,
        },
    )


def _read_classification(request: Request, reply: str, options: SelfInstructOptions) -> Outcome:
    verdict = instances_stage.parse_classification(reply)
    classification: dict[str, Any] = {
        "is_classification": bool(verdict),
        "by": "model",
        "reply": reply.strip()[:200],
    }
    if verdict is None:
        classification["by"] = "model (unclear reply, read as No)"
    key = request.key.removesuffix("/classify")
    instruction = request.context["instruction"]
    checks = request.context.get("checks", [])
    return Outcome(
        follow_ups=[_instances_request(key, instruction, checks, classification, options)]
    )


def _read_instances(
    request: Request, reply: str, options: SelfInstructOptions, finish_reason: str | None
) -> Outcome:
    drafts = instances_stage.instance_drafts(
        request.context["instruction"],
        request.context["classification"],
        checks_from(request.context),
        reply,
        options.max_instances,
        finish_reason,
    )
    return Outcome(drafts=drafts)
