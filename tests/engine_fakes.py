"""A small two-stage method and a one-seed project, for tests of the job engine.

The `method` fixture (tests/unit/conftest.py) registers TwoStage for a test.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from seedbed.methods.base import Draft, Method, MethodContext, MethodOptions, Outcome, Request
from seedbed.models import Check, GenerationParams, Instance, Message, Project, SeedTask
from seedbed.store.core import Store


def story_project(store: Store, name: str) -> Project:
    """A project with one seed task, enough for TwoStage to run."""
    project_id = store.create_project(Project(name=name))
    store.add_seed_tasks(
        project_id, [SeedTask(instruction="Tell a story.", instances=[Instance(output="Once.")])]
    )
    return store.get_project(project_id)


IDEAS_PARAMS = GenerationParams(temperature=0.9, max_tokens=60)
WRITE_PARAMS = GenerationParams(temperature=0.0, max_tokens=40)


def ask(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


class TwoStageOptions(MethodOptions):
    stage_params = {"ideas": IDEAS_PARAMS, "write": WRITE_PARAMS}


class TwoStage(Method):
    """Plans ceil(n / 2) "ideas" requests; every idea is written in its own request."""

    name = "two_stage"
    title = "Two stages"
    description = "Ideas first, then a piece written about each idea"
    Options = TwoStageOptions

    def __init__(self) -> None:
        self.plans: list[int] = []

    def unavailable(self, context: MethodContext) -> str | None:
        if not context.seed_tasks:
            return "Two stages needs a seed task."
        return super().unavailable(context)

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        self.plans.append(n)
        tag = f"{rng.getrandbits(16):04x}"
        return [
            Request(
                key=f"{tag}/ideas/{i}",
                stage="ideas",
                messages=ask(f"Ideas please ({tag}/{i})"),
                params=IDEAS_PARAMS,
            )
            for i in range(math.ceil(n / 2))
        ]

    def read(
        self, context: MethodContext, request: Request, reply: str, finish_reason: str | None = None
    ) -> Outcome:
        if request.stage == "ideas":
            ideas = [line.strip() for line in reply.splitlines() if line.strip()]
            if not ideas:
                return Outcome(error="The reply held no idea.")
            return Outcome(
                follow_ups=[
                    Request(
                        key=f"{request.key}/{j}",
                        stage="write",
                        messages=ask(f"Write about {idea}"),
                        params=WRITE_PARAMS,
                        context={"idea": idea, "pool_text": idea},
                    )
                    for j, idea in enumerate(ideas)
                ]
            )
        drafts = []
        for text in reply.split("||"):  # "||" separates several pieces in one reply
            score, closest = context.novelty.closest(text)
            check = Check(name="novelty", passed=score <= 0.7, score=score, detail=closest or "")
            drafts.append(
                Draft(
                    content={"text": text.strip()},
                    checks=[check],
                    lineage={"idea": request.context["idea"]},
                )
            )
        return Outcome(drafts=drafts)


_counter = iter(range(1, 10**9))


def answer(messages: Sequence[Message]) -> str:
    """Two fresh ideas for an ideas request; a distinct text for a write request."""
    prompt = messages[-1].content
    if prompt.startswith("Ideas"):
        return f"idea {next(_counter)}\nidea {next(_counter)}"
    return f"A short original piece number {next(_counter)} about {prompt[len('Write about ') :]}"
