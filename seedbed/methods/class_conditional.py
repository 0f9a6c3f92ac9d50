"""The class-conditional baseline: "write a <item> about <label>", no attributes.

This is the plain prompt AttrPrompt's paper compares against (its SimPrompt).
Run it on the same backend and labels as AttrPrompt to see what the attributes
add: the Insights page compares diversity by method. The sampling is AttrPrompt's
(temperature 1.0, top-p 0.95) so that only the prompt differs.
"""

from __future__ import annotations

import random

from pydantic import Field

from seedbed.methods.attrprompt import DEFAULT_PARAMS, item_request, read_item_or_answer
from seedbed.methods.base import Method, MethodContext, Outcome, Request
from seedbed.methods.common import (
    ANSWER_PARAMS,
    InstructionFilterOptions,
    item_noun,
    label_words,
    project_labels,
    unknown_labels,
)
from seedbed.methods.prompts import user_message
from seedbed.models import Message

METHOD = "class_conditional"


class ClassConditionalOptions(InstructionFilterOptions):
    stage_params = {"item": DEFAULT_PARAMS, "answer": ANSWER_PARAMS}
    labels: list[str] = Field(default_factory=list, description="Only these labels (empty: all)")


def build_messages(item: str, about: str) -> list[Message]:
    """The baseline prompt for one item; `about` ties it to its label (common.label_words)."""
    return user_message("class_conditional", item=item, about=about)


class ClassConditional(Method):
    name = METHOD
    title = "Class-conditional baseline"
    description = "The plain prompt 'write a <item> about <label>', to compare with AttrPrompt"
    Options = ClassConditionalOptions

    def unavailable(self, context: MethodContext) -> str | None:
        problem = super().unavailable(context)
        if problem is None:
            wanted = ClassConditionalOptions.parse(context.options).labels
            problem = unknown_labels(context.project, wanted)
        return problem

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        options = ClassConditionalOptions.parse(context.options)
        labels = project_labels(context.project, options.labels)
        item = item_noun(context.project)
        params = options.params["item"]
        requests = []
        for index in range(n):
            label = labels[index % len(labels)]
            messages = build_messages(item, label_words(context.project, label) if label else "")
            requests.append(item_request(f"item/{index}", messages, params, label, {}))
        return requests

    def read(
        self,
        context: MethodContext,
        request: Request,
        reply: str,
        finish_reason: str | None = None,
    ) -> Outcome:
        return read_item_or_answer(
            context, request, reply, ClassConditionalOptions, self.title, finish_reason
        )
