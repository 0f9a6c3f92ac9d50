"""ChatAug / AugGPT (Dai et al., 2023): paraphrases of existing items that keep meaning and label.

Each request shows one seed or accepted item and asks for N rewordings as a
numbered list; each rewording becomes a draft with the source's label (or, for
instruction projects, the source's input and output: only the instruction is
reworded) and a lineage link to its source. A rewording equal to its source is
flagged ("changed" check), as is a refusal.
"""

from __future__ import annotations

import math
import random

from pydantic import Field

from seedbed.checks import refusal_check
from seedbed.methods.base import Draft, Method, MethodContext, Outcome, Request
from seedbed.methods.common import drop_cut_last, item_noun, list_items, normalise
from seedbed.methods.prompts import user_message
from seedbed.methods.sources import Source, SourceOptions, pick_sources, select_sources
from seedbed.models import Check, GenerationParams, Message, ProjectKind

METHOD = "chataug"
PARAPHRASE_PARAMS = GenerationParams(temperature=1.0, top_p=1.0, max_tokens=1500)


class ChatAugOptions(SourceOptions):
    stage_params = {"paraphrase": PARAPHRASE_PARAMS}
    paraphrases: int = Field(6, ge=1, le=20, description="Paraphrases asked per source item")


def build_messages(source: Source, count: int, item: str) -> list[Message]:
    """Ask for `count` paraphrases of the source's instruction or text."""
    instruction = "instruction" in source.content
    return user_message(
        "chataug",
        instruction=instruction,
        n=count,
        item=item,
        label=source.label,
        text=source.text.strip(),
    )


def parse(
    reply: str, count: int, multiline: bool = True, finish_reason: str | None = None
) -> tuple[list[str], list[Check]]:
    """The paraphrases in a reply (a numbered list), at most `count`, and the checks
    every one of them gets: a reply cut at its token limit loses its cut last item."""
    found, marks = drop_cut_last(
        list_items(reply, joiner="\n" if multiline else " "), finish_reason
    )
    return found[:count], marks


def _changed_check(paraphrase: str, source: Source) -> Check:
    same = normalise(paraphrase).lower() == normalise(source.text).lower()
    return Check(
        name="changed",
        passed=not same,
        detail="identical to its source" if same else "",
    )


class ChatAug(Method):
    name = METHOD
    title = "ChatAug"
    description = "Paraphrases of seed or accepted items that keep meaning and label (Dai et al.)"
    Options = ChatAugOptions

    def unavailable(self, context: MethodContext) -> str | None:
        problem = super().unavailable(context)
        if problem is None:
            _, problem = select_sources(context, ChatAugOptions.parse(context.options))
        return problem

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        options = ChatAugOptions.parse(context.options)
        sources, problem = select_sources(context, options)
        if problem:
            raise ValueError(problem)
        item = item_noun(context.project)
        picks = pick_sources(sources, math.ceil(n / options.paraphrases), rng)
        return [
            Request(
                key=f"paraphrase/{index}/{source.key}",
                stage="paraphrase",
                messages=build_messages(source, options.paraphrases, item),
                params=options.params["paraphrase"],
                context={"source": source.model_dump()},
            )
            for index, source in enumerate(picks)
        ]

    def read(
        self,
        context: MethodContext,
        request: Request,
        reply: str,
        finish_reason: str | None = None,
    ) -> Outcome:
        try:
            options = ChatAugOptions.parse(context.options)
        except ValueError as error:
            return Outcome(error=str(error))
        if request.stage != "paraphrase":
            return Outcome(error=f"ChatAug has no stage '{request.stage}'.")
        source = Source.model_validate(request.context["source"])
        classification = context.project.kind == ProjectKind.CLASSIFICATION
        found, cut_marks = parse(reply, options.paraphrases, classification, finish_reason)
        if not found:
            return Outcome(error="The reply held no paraphrase.")
        drafts = []
        for number, paraphrase in enumerate(found, start=1):
            if classification:
                content = {"text": paraphrase, "label": source.label or ""}
            else:
                content = {**source.content, "instruction": paraphrase}
            drafts.append(
                Draft(
                    content=content,
                    label=source.label,
                    checks=[
                        _changed_check(paraphrase, source),
                        refusal_check(paraphrase),
                        *cut_marks,
                    ],
                    lineage=source.lineage(
                        operation="paraphrase", generation=source.generation + 1, number=number
                    ),
                )
            )
        return Outcome(drafts=drafts)
