"""AttrPrompt (Yu et al., 2023): prompts that name a sampled value for each attribute.

Attributes such as length, style, subtopic and location vary the data along axes
the user chose instead of the model's favourite defaults. A value can belong to
one label only (a subtopic). Three ways to pick the values of a request:

- "random" (the paper's): one value per dimension, drawn with the user's weights;
  labels take turns.
- "grid": the full product of values (and labels), in a shuffled order, so a run
  as long as the grid meets every combination once.
- "coverage": favour what the accepted data lacks. Each request draws a handful
  of weighted random combinations (label included) and keeps the one with the
  fewest accepted examples: first of that exact combination, then of its label,
  then of its single values. Requests planned earlier in the run count too.

The prompt lists the chosen attributes as numbered requirements. For instruction
projects the written item is an instruction, checked like Self-Instruct's and
then answered (stage "answer").
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import Field

from seedbed.checks import refusal_check
from seedbed.methods.base import Draft, Method, MethodContext, Outcome, Request
from seedbed.methods.common import (
    ANSWER_PARAMS,
    LABEL_PHRASES,
    InstructionFilterOptions,
    answer_outcome,
    answer_request,
    check_dicts,
    instruction_checks,
    item_noun,
    label_words,
    project_labels,
    single_text_checks,
    strip_preamble,
    unknown_labels,
)
from seedbed.methods.lengths import LENGTH_MARGIN, TOKENS_PER_WORD, item_params, requirement
from seedbed.methods.prompts import user_message
from seedbed.models import AttributeDimension, GenerationParams, Message, ProjectKind

METHOD = "attrprompt"
DEFAULT_PARAMS = GenerationParams(temperature=1.0, top_p=0.95, max_tokens=300)
Combination = tuple[str | None, dict[str, str]]


class AttrPromptOptions(InstructionFilterOptions):
    stage_params = {"item": DEFAULT_PARAMS, "answer": ANSWER_PARAMS}
    sampling: Literal["random", "grid", "coverage"] = Field(
        "random",
        description="random: per dimension, with the weights; grid: every combination once; "
        "coverage: favour what the accepted data lacks",
    )
    labels: list[str] = Field(default_factory=list, description="Only these labels (empty: all)")
    coverage_draws: int = Field(
        16, ge=1, le=1000, description="Coverage: random combinations compared for each pick"
    )
    irrelevant_to_similar: bool = Field(
        True,
        description="For a label with similar labels (Attributes page), require the item to "
        "be relevant to its label and irrelevant to those (the paper's option for close classes)",
    )
    length_margin: float = Field(
        LENGTH_MARGIN,
        ge=0,
        le=10,
        description="An item's max tokens: the words its length attribute asks for × "
        f"{TOKENS_PER_WORD} tokens × this margin, when above the item stage's; 0: never",
    )


def sample_attributes(
    dimensions: Sequence[AttributeDimension], label: str | None, rng: random.Random
) -> dict[str, str]:
    """One value per dimension, drawn with the user's weights (per-label values win)."""
    chosen: dict[str, str] = {}
    for dimension in dimensions:
        values = dimension.values_for(label)
        if values:
            pick = rng.choices(values, weights=[v.weight for v in values], k=1)[0]
            chosen[dimension.name] = pick.value
    return chosen


def combination_count(dimensions: Sequence[AttributeDimension], labels: Sequence[str]) -> int:
    """How many distinct attribute combinations the dimensions make, over all labels."""
    total = 0
    for label in labels or [None]:
        sizes = [len(d.values_for(label)) for d in dimensions if d.values_for(label)]
        total += math.prod(sizes) if sizes else 0
    return total


def random_combinations(
    dimensions: Sequence[AttributeDimension],
    labels: Sequence[str | None],
    n: int,
    rng: random.Random,
) -> list[Combination]:
    """The paper's sampling: labels in turn, each dimension's value drawn with its weights."""
    return [
        (label, sample_attributes(dimensions, label, rng))
        for label in (labels[i % len(labels)] for i in range(n))
    ]


def grid_combinations(
    dimensions: Sequence[AttributeDimension],
    labels: Sequence[str | None],
    n: int,
    rng: random.Random,
) -> list[Combination]:
    """`n` combinations of the full grid in a shuffled order, each once per pass."""
    blocks = []
    for label in labels:
        axes = [(d.name, d.values_for(label)) for d in dimensions if d.values_for(label)]
        if axes:
            blocks.append((label, axes, math.prod(len(values) for _, values in axes)))
    total = sum(size for *_, size in blocks)
    picks: list[Combination] = []
    while total and len(picks) < n:
        # rng.sample on a range needs no list, so a grid of millions costs nothing.
        for index in rng.sample(range(total), min(total, n - len(picks))):
            picks.append(_grid_item(blocks, index))
    return picks


def _grid_item(blocks: list, index: int) -> Combination:
    for label, axes, size in blocks:
        if index < size:
            chosen = {}
            for name, values in reversed(axes):
                index, position = divmod(index, len(values))
                chosen[name] = values[position].value
            return label, {name: chosen[name] for name, _ in axes}
        index -= size
    raise IndexError(index)


def coverage_combinations(
    dimensions: Sequence[AttributeDimension],
    labels: Sequence[str | None],
    n: int,
    rng: random.Random,
    accepted: Iterable[Combination],
    draws: int = 16,
) -> list[Combination]:
    """`n` combinations steered towards those with the fewest accepted examples."""
    exact: Counter = Counter()
    per_label: Counter = Counter()
    single: Counter = Counter()

    def count(label: str | None, attributes: dict[str, str]) -> None:
        exact[label, frozenset(attributes.items())] += 1
        per_label[label] += 1
        single.update((label, name, value) for name, value in attributes.items())

    for label, attributes in accepted:
        count(label, attributes)
    picks: list[Combination] = []
    for _ in range(n):
        options = [
            (label, sample_attributes(dimensions, label, rng))
            for label in (rng.choice(labels) for _ in range(draws))
        ]
        label, attributes = min(
            options,
            key=lambda o: (
                exact[o[0], frozenset(o[1].items())],
                per_label[o[0]],
                sum(single[o[0], name, value] for name, value in o[1].items()),
            ),
        )
        count(label, attributes)
        picks.append((label, attributes))
    return picks


def build_messages(
    item: str,
    label: str | None,
    attributes: dict[str, str],
    about: str = "",
    unlike: Sequence[str] = (),
) -> list[Message]:
    """A request for one item with `attributes` listed as numbered requirements;
    `about` ties it to its label (common.label_words), the topic form by default;
    `unlike` names similar labels the item must be irrelevant to (a last requirement)."""
    if label and not about:
        about = LABEL_PHRASES["topic"].replace("{label}", label)
    lines = [requirement(name, value) for name, value in attributes.items()]
    if label and unlike:
        others = " and ".join(f'"{other}"' for other in unlike)
        lines.append(f'Relevant to "{label}" and irrelevant to {others}.')
    return user_message("attrprompt", item=item, about=about, requirements=lines)


def parse(reply: str) -> str:
    """The generated item without a chatty preamble or wrapping quotes ('' if nothing)."""
    return strip_preamble(reply)


def item_request(key: str, messages: list[Message], params: GenerationParams, label, attributes):
    return Request(
        key=key,
        stage="item",
        messages=messages,
        params=params,
        context={"label": label, "attributes": attributes},
    )


def read_item(
    context: MethodContext,
    request: Request,
    reply: str,
    options: InstructionFilterOptions,
    finish_reason: str | None = None,
) -> Outcome:
    """An "item" reply: a labelled text, or a new instruction to check and then answer.

    A reply cut at its token limit is flagged `truncated`; a cut instruction is not
    answered."""
    text = parse(reply)
    if not text:
        return Outcome(error="The reply was empty.")
    label = request.context.get("label")
    attributes = request.context.get("attributes", {})
    if context.project.kind == ProjectKind.CLASSIFICATION:
        content = {"text": text, "label": label or ""}
        checks = [refusal_check(text), *single_text_checks(finish_reason)]
        return Outcome(
            drafts=[Draft(content=content, label=label, attributes=attributes, checks=checks)]
        )
    checks = [
        *instruction_checks(text, context, options),
        refusal_check(text),
        *single_text_checks(finish_reason),
    ]
    if not all(check.passed for check in checks):
        content = {"instruction": text, "input": "", "output": ""}
        draft = Draft(content=content, label=label, attributes=attributes, checks=checks)
        return Outcome(drafts=[draft])
    context.novelty.add(text)
    answer = answer_request(
        f"{request.key}/answer",
        text,
        "",
        options.params["answer"],
        checks=check_dicts(checks),
        label=label,
        attributes=attributes,
        pool_text=text,
    )
    return Outcome(follow_ups=[answer])


def read_item_or_answer(
    context: MethodContext,
    request: Request,
    reply: str,
    options_model: type[InstructionFilterOptions],
    title: str,
    finish_reason: str | None = None,
) -> Outcome:
    """Read a reply of the "item" or the "answer" stage (AttrPrompt and its baseline)."""
    try:
        options = options_model.parse(context.options)
    except ValueError as error:
        return Outcome(error=str(error))
    if request.stage == "item":
        return read_item(context, request, reply, options, finish_reason)
    if request.stage == "answer":
        return read_answer(request, reply)
    return Outcome(error=f"{title} has no stage '{request.stage}'.")


def read_answer(request: Request, reply: str) -> Outcome:
    context = request.context
    return answer_outcome(
        request, reply, label=context.get("label"), attributes=context.get("attributes", {})
    )


class AttrPrompt(Method):
    name = METHOD
    title = "AttrPrompt"
    description = "Attributed prompts: sampled values of your dimensions (Yu et al.)"
    Options = AttrPromptOptions

    def unavailable(self, context: MethodContext) -> str | None:
        if not any(d.values or d.per_label for d in context.dimensions):
            return "AttrPrompt needs attribute dimensions with values (Attributes page)."
        problem = super().unavailable(context)
        if problem is None:
            wanted = AttrPromptOptions.parse(context.options).labels
            problem = unknown_labels(context.project, wanted)
        return problem

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        options = AttrPromptOptions.parse(context.options)
        labels = project_labels(context.project, options.labels)
        dimensions = context.dimensions
        if options.sampling == "grid":
            picks = grid_combinations(dimensions, labels, n, rng)
        elif options.sampling == "coverage":
            accepted = [(c.label, c.attributes) for c in context.accepted()]
            picks = coverage_combinations(
                dimensions, labels, n, rng, accepted, options.coverage_draws
            )
        else:
            picks = random_combinations(dimensions, labels, n, rng)
        item = item_noun(context.project)
        params = options.params["item"]
        similar = context.project.similar_labels if options.irrelevant_to_similar else {}
        return [
            item_request(
                f"item/{i}",
                build_messages(
                    item,
                    label,
                    attrs,
                    label_words(context.project, label) if label else "",
                    similar.get(label or "", []),
                ),
                item_params(params, attrs, options.length_margin),
                label,
                attrs,
            )
            for i, (label, attrs) in enumerate(picks)
        ]

    def read(
        self,
        context: MethodContext,
        request: Request,
        reply: str,
        finish_reason: str | None = None,
    ) -> Outcome:
        return read_item_or_answer(
            context, request, reply, AttrPromptOptions, self.title, finish_reason
        )
