"""Self-Instruct's second half: is a new task a classification task, and its instances.

Classification tasks get output-first prompts (a class label, then an input for
it) so that the labels stay balanced; the other tasks get input-first prompts.
Both are few-shot prompts of our own wording with the paper's structure.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import Any

from seedbed.checks import instance_checks, refusal_check
from seedbed.methods.base import Draft
from seedbed.methods.common import drop_cut_last, normalise, yes_no
from seedbed.methods.prompts import user_message
from seedbed.models import Check, GenerationParams, Instance, Message

# The paper asks for a one-word verdict, greedily, and stops at the line's end.
CLASSIFY_PARAMS = GenerationParams(temperature=0.0, top_p=1.0, max_tokens=3, stop=["\n", "Task"])
# Instances are greedy too; the stop "Example <max + 1>" is added per request.
INSTANCE_PARAMS = GenerationParams(
    temperature=0.0, top_p=1.0, presence_penalty=1.5, max_tokens=350, stop=["Task:"]
)
MAX_INSTANCES = 5

# "Example 1", "**Example 1:**", "### Example 2" alone, or "Example 1: <first line>".
_EXAMPLE = re.compile(r"^[#*\s]*Example\s*\d*\s*[.:)]?[*\s]*$", re.IGNORECASE)
_EXAMPLE_INLINE = re.compile(r"^[#*\s]*Example\s*\d+\s*[.:)][*\s]*(\S.*)$", re.IGNORECASE)
# A chat model's lead-in: a sentence ending with a colon, of at least three words.
_PREAMBLE = re.compile(r"^\s*\S+\s+\S+\s+\S.*:\s*$")
_INPUT = re.compile(r"^[*\s]*Input\s*\d*\s*:[*]*\s*", re.IGNORECASE)
_OUTPUT = re.compile(r"[*]*\bOutput\s*\d*\s*:[*]*\s*", re.IGNORECASE)
_TASK = re.compile(r"^[*\s]*Task\s*:", re.IGNORECASE)
_CLASS_LABEL = re.compile(r"^[*#\s]*Class\s+label\s*:[*]*\s*", re.IGNORECASE | re.MULTILINE)


def classify_messages(instruction: str) -> list[Message]:
    """The few-shot question: is this a classification task? (Yes / No)."""
    return user_message("self_instruct_classify", instruction=normalise(instruction))


def parse_classification(reply: str) -> bool | None:
    """True for Yes, False for No, None when the reply says neither."""
    return yes_no(reply)


def instance_messages(
    instruction: str, classification: bool, max_instances: int = MAX_INSTANCES
) -> list[Message]:
    """Output-first for classification tasks, input-first for the others."""
    template = "self_instruct_output_first" if classification else "self_instruct_input_first"
    return user_message(template, instruction=instruction.strip(), max_instances=max_instances)


def instance_params(params: GenerationParams, max_instances: int) -> GenerationParams:
    """`params` with the stop sequence that ends the reply after `max_instances` examples."""
    stop = f"Example {max_instances + 1}"
    return (
        params.model_copy(update={"stop": [*params.stop, stop]})
        if stop not in params.stop
        else params
    )


def parse_instances(
    reply: str, classification: bool, max_instances: int = MAX_INSTANCES
) -> list[Instance]:
    """The instances in a reply, in order, at most `max_instances`."""
    return _all_instances(reply, classification)[:max_instances]


def _all_instances(reply: str, classification: bool) -> list[Instance]:
    return _labelled_instances(reply) if classification else _input_output_instances(reply)


def _labelled_instances(reply: str) -> list[Instance]:
    """'Class label: X' then the input, repeated; text before the first label is dropped."""
    instances = []
    for chunk in _CLASS_LABEL.split(_before_next_task(reply))[1:]:
        label, _, rest = chunk.strip().partition("\n")
        label = label.strip().strip("*").strip()
        text = _INPUT.sub("", rest.strip(), count=1).strip()
        if label or text:
            instances.append(Instance(input=text, output=label))
    return instances


def _before_next_task(reply: str) -> str:
    """The reply up to a line that starts another task (the model running on)."""
    lines = []
    for line in reply.splitlines():
        if _TASK.match(line):
            break
        lines.append(line)
    return "\n".join(lines)


class _Block:
    """One example being read: the lines before its "Output:" and the output's lines.

    The original's rule: everything between an example's header and "Output:" is
    its input ("Sentence: ...", "Paragraph: ...\nQuestion: ...", a table, code), with
    a leading "Input:" taken off. Before the first header there is no header to go
    by: there an "Input:" line starts the input, and a line such as "Here are some
    examples:" in front of it is a preamble, not input.
    """

    def __init__(self, headed: bool) -> None:
        self.headed = headed  # opened by an "Example N" line
        self.before: list[str] = []
        self.marked = False  # an "Input:" line was seen
        self.output: list[str] | None = None

    def add(self, line: str) -> None:
        (self.output if self.output is not None else self.before).append(line)

    def start_input(self, rest: str) -> None:
        """An "Input:" line: the input starts here, unless a headed example started it."""
        if self.headed and any(line.strip() for line in self.before):
            self.before.append(rest)
        else:
            self.before = [rest]
        self.marked = True

    def instance(self) -> Instance | None:
        if self.output is not None:
            lines = self.before
            if not self.headed and not self.marked:
                lines = _without_preamble(lines)
            return Instance(input=_text(lines), output=_text(self.output))
        if self.headed and not self.marked and _text(self.before):
            # "Example 1" then text only: a task without input, its output written bare.
            return Instance(input="", output=_text(self.before))
        return None


def _text(lines: list[str]) -> str:
    # Dedented, not stripped line by line: code keeps its indentation.
    return textwrap.dedent("\n".join(lines).strip("\n")).strip()


def _without_preamble(lines: list[str]) -> list[str]:
    """`lines` without a leading chat preamble ("Sure! Here are some examples:")."""
    kept = list(lines)
    while kept and (not kept[0].strip() or _PREAMBLE.match(kept[0])):
        kept.pop(0)
    return kept


def _input_output_instances(reply: str) -> list[Instance]:
    """Examples with or without 'Example N' headers; 'Output:' alone is fine."""
    blocks = [_Block(headed=False)]
    for raw in _before_next_task(reply).splitlines():
        if _EXAMPLE.match(raw):
            blocks.append(_Block(headed=True))
            continue
        inline = _EXAMPLE_INLINE.match(raw)
        if inline:  # "Example 1: Input: ..." on one line
            blocks.append(_Block(headed=True))
            raw = inline.group(1)
        for line in _split_inline_output(raw):
            block = blocks[-1]
            if _INPUT.match(line):
                if block.output is not None:
                    block = _Block(headed=False)
                    blocks.append(block)
                block.start_input(_INPUT.sub("", line, count=1))
            elif _OUTPUT.match(line.lstrip()):
                if block.output is not None:
                    block = _Block(headed=False)
                    blocks.append(block)
                block.output = [_OUTPUT.sub("", line.lstrip(), count=1)]
            else:
                block.add(line)
    return [instance for block in blocks if (instance := block.instance()) is not None]


def _split_inline_output(line: str) -> list[str]:
    """'Input: 25 °C Output: 77 °F' read as two lines."""
    if _INPUT.match(line):
        match = _OUTPUT.search(line, _INPUT.match(line).end())
        if match:
            return [line[: match.start()].rstrip(), line[match.start() :]]
    return [line]


def instance_verdicts(found: Sequence[Instance]) -> list[list[Check]]:
    """Self-Instruct's instance checks (`checks.instance_checks`) for each draft.

    A conflict (one input, different outputs) concerns the whole task: the paper
    drops all of the task's instances then, so every draft carries it. The other
    checks (output equal to input, empty output, trailing colon) are each
    instance's own: each instance is checked among neutral stand-ins, so that
    only its own faults show and the detail names its own number.
    """
    conflict = [c for c in instance_checks(found) if c.name == "instance_conflict"]
    verdicts = []
    for position, item in enumerate(found):
        padded = [
            item if other == position else Instance(input=f"stand-in {other}", output=f"{other}")
            for other in range(len(found))
        ]
        own = [c for c in instance_checks(padded) if c.name != "instance_conflict"]
        verdicts.append([*conflict, *own])
    return verdicts


def instance_drafts(
    instruction: str,
    classification: dict[str, Any],
    task_checks: list[Check],
    reply: str,
    max_instances: int = MAX_INSTANCES,
    finish_reason: str | None = None,
) -> list[Draft]:
    """One draft per instance in `reply`, each with the task's checks and its own.

    A reply cut at its token limit loses its last instance, as in the paper (the
    kept ones say the reply was cut). A reply with no readable instance still gives
    one draft (the task passed its checks): the instruction alone, flagged, so that
    a reviewer can rescue it.
    """
    flag = classification["is_classification"]
    found, cut_marks = drop_cut_last(_all_instances(reply, flag), finish_reason)
    found = found[:max_instances]
    attributes = {"task type": "classification" if flag else "generation"}
    if not found:
        missing = Check(
            name="instances", passed=False, detail="No instance could be read from the reply."
        )
        content = {"instruction": instruction, "input": "", "output": ""}
        lineage = {"classification": classification, "instances": 0}
        return [
            Draft(
                content=content,
                checks=[*task_checks, missing],
                attributes=attributes,
                lineage=lineage,
            )
        ]
    return [
        Draft(
            content={"instruction": instruction, "input": item.input, "output": item.output},
            checks=[*task_checks, *checks, refusal_check(item.output), *cut_marks],
            attributes=attributes,
            lineage={"classification": classification, "instance": number, "instances": len(found)},
        )
        for number, (item, checks) in enumerate(
            zip(found, instance_verdicts(found), strict=True), start=1
        )
    ]
