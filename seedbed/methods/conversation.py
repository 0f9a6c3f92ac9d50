"""Multi-turn conversations, UltraChat-style (Ding et al., 2023): a simulated user and an
assistant take turns.

A conversation opens with a seed task or an accepted instruction (its instruction
and input are the first user turn), or with a sampled attribute combination (the
user simulator writes the opening). Then the stages alternate, each its own
request so that each role can use its own model:

- "assistant": the conversation so far as chat messages, after a system prompt;
- "user": the user simulator is shown the transcript and writes the next request.

After the chosen number of exchanges the conversation becomes one draft, its
turns kept as seedbed/conversations.py says and every turn checked
(seedbed.checks.conversation_checks). An empty turn ends a conversation early:
it is stored flagged (empty_field) so that a reviewer can cut it before that turn.
"""

from __future__ import annotations

import random
import re
from typing import Any, Literal

from pydantic import Field

from seedbed.checks import conversation_checks, truncated_check, was_cut
from seedbed.conversations import content_of
from seedbed.methods.attrprompt import random_combinations
from seedbed.methods.base import Draft, Method, MethodContext, Outcome, Request
from seedbed.methods.common import ANSWER_PARAMS, project_labels, strip_preamble
from seedbed.methods.prompts import render, user_message
from seedbed.methods.sources import SourceOptions, pick_sources, select_sources
from seedbed.models import GenerationParams, Message, ProjectKind

METHOD = "conversation"
USER_PARAMS = GenerationParams(temperature=0.9, top_p=0.95, max_tokens=300)
# "User: ..." or "**Person:** ..." before the message; a simulator that goes on to
# write the assistant's part starts a line with "Assistant:".
_ROLE_PREFIX = re.compile(r"^\s*(?:\*\*)?(?:user|person|human)(?:\*\*)?\s*:(?:\*\*)?\s*", re.I)
_ASSISTANT_LINE = re.compile(r"\n\s*(?:\*\*)?(?:assistant|ai)\s*(?:\*\*)?\s*:", re.I)

Turns = list[tuple[str, str]]


class ConversationOptions(SourceOptions):
    stage_params = {"user": USER_PARAMS, "assistant": ANSWER_PARAMS}
    start: Literal["items", "attributes"] = Field(
        "items",
        description="items: a seed task or accepted instruction is the first user turn "
        "(see source); attributes: the user simulator opens on sampled attribute values",
    )
    exchanges: int = Field(
        3, ge=1, le=12, description="User turns per conversation, each answered by the assistant"
    )


def assistant_messages(turns: Turns) -> list[Message]:
    """The assistant's request: the system prompt, then the conversation as chat messages."""
    system = Message(role="system", content=render("conversation_assistant").strip())
    return [system, *(Message(role=role, content=text) for role, text in turns)]  # type: ignore[arg-type]


def user_messages(turns: Turns) -> list[Message]:
    """The user simulator's request: the transcript, and what to write next."""
    return user_message("conversation_user", turns=turns)


def opening_messages(label: str | None, attributes: dict[str, str]) -> list[Message]:
    return user_message("conversation_opening", label=label, attributes=attributes)


def parse_user_turn(reply: str) -> str:
    """The simulated user's message: without a chatty preamble, a role prefix, quotes,
    or an assistant's part the simulator went on to write."""
    text = strip_preamble(_ASSISTANT_LINE.split(reply, maxsplit=1)[0])
    return strip_preamble(_ROLE_PREFIX.sub("", text, count=1))


def first_user_turn(content: dict[str, str]) -> str:
    """A seed's or an accepted candidate's instruction and input as one user message."""
    instruction, input_text = content.get("instruction", ""), content.get("input", "")
    return f"{instruction}\n\n{input_text}" if input_text else instruction


class Conversation(Method):
    name = METHOD
    title = "Conversations"
    description = (
        "Multi-turn chats: a simulated user and an assistant take turns, "
        "from a seed, an accepted instruction or attribute values (UltraChat, Ding et al.)"
    )
    Options = ConversationOptions

    def unavailable(self, context: MethodContext) -> str | None:
        if context.project.kind == ProjectKind.CLASSIFICATION:
            return "Conversations are instruction data; this project labels texts."
        problem = super().unavailable(context)
        if problem is not None:
            return problem
        options = ConversationOptions.parse(context.options)
        if options.start == "attributes":
            if not any(d.values or d.per_label for d in context.dimensions):
                return "Starting from attributes needs dimensions with values (Attributes page)."
            return None
        return select_sources(context, options)[1]

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        options = ConversationOptions.parse(context.options)
        if options.start == "attributes":
            labels = project_labels(context.project, [])
            picks = random_combinations(context.dimensions, labels, n, rng)
            return [
                self._request(
                    "user",
                    f"c{i}/attributes",
                    opening_messages(label, attributes),
                    [],
                    options,
                    origin={"start": "attributes"},
                    label=label,
                    attributes=attributes,
                )
                for i, (label, attributes) in enumerate(picks)
            ]
        sources, problem = select_sources(context, options)
        if problem:
            raise ValueError(problem)
        requests = []
        for i, source in enumerate(pick_sources(sources, n, rng)):
            turns = [("user", first_user_turn(source.content))]
            origin = source.lineage(start="item")
            key = f"c{i}/{source.key}"
            requests.append(
                self._request(
                    "assistant", key, assistant_messages(turns), turns, options, origin=origin
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
        if was_cut(finish_reason):  # a turn cut at max_tokens: the finished chat says so
            request = request.model_copy(update={"context": {**request.context, "cut": True}})
        try:
            options = ConversationOptions.parse(context.options)
        except ValueError as error:
            return Outcome(error=str(error))
        turns: Turns = [(role, text) for role, text in request.context["turns"]]
        if request.stage == "user":
            text = parse_user_turn(reply)
            if not text and not turns:
                return Outcome(error="The user simulator's opening message was empty.")
            turns.append(("user", text))
            if not text:  # stop here; the reviewer cuts or fills the empty turn
                return self._finish(request, turns + [("assistant", "")])
            return self._next(request, "assistant", assistant_messages(turns), turns, options)
        if request.stage == "assistant":
            text = reply.strip()
            turns.append(("assistant", text))
            if not text or len(turns) >= 2 * options.exchanges:
                return self._finish(request, turns)
            return self._next(request, "user", user_messages(turns), turns, options)
        return Outcome(error=f"Conversations have no stage '{request.stage}'.")

    def _request(
        self,
        stage: str,
        base: str,
        messages: list[Message],
        turns: Turns,
        options: ConversationOptions,
        **context: Any,
    ) -> Request:
        exchange = sum(1 for role, _ in turns if role == "user") + (stage == "user")
        return Request(
            key=f"{base}/{stage}/{exchange}",
            stage=stage,
            messages=messages,
            params=options.params[stage],
            context={"turns": [list(turn) for turn in turns], **context},
        )

    def _next(
        self,
        request: Request,
        stage: str,
        messages: list[Message],
        turns: Turns,
        options: ConversationOptions,
    ) -> Outcome:
        carried = {k: v for k, v in request.context.items() if k != "turns"}
        # The key without its "/<stage>/<exchange>" end: the engine prefixes the round to it.
        base = request.key.rsplit("/", 2)[0]
        follow_up = self._request(stage, base, messages, turns, options, **carried)
        return Outcome(follow_ups=[follow_up])

    def _finish(self, request: Request, turns: Turns) -> Outcome:
        content = content_of(turns)
        context = request.context
        lineage = {**context.get("origin", {}), "exchanges": len(turns) // 2}
        origin_is_item = lineage.get("start") == "item"
        draft = Draft(
            content=content,
            label=context.get("label"),
            attributes=context.get("attributes") or {},
            # An opening taken from an item is the user's own words, not the simulator's.
            checks=conversation_checks(content, simulated_from=2 if origin_is_item else 1)
            + ([truncated_check()] if context.get("cut") else []),
            lineage=lineage,
        )
        return Outcome(drafts=[draft])
