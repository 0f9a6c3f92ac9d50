"""The contract between generation methods and the engine that runs them.

A method is pure: it plans chat requests and reads replies, and never calls a
backend or the store. The engine (seedbed/jobs/runner.py and seedbed/jobs/state.py) sends
the requests, persists each one, and stores what a reply turns into, so a run
can be resumed request by request after a crash.

A reply turns into an `Outcome`: finished candidates (`drafts`), further
requests that depend on it (`follow_ups`, e.g. Self-Instruct's instance
generation after its instruction stage), or an explained `error`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import Field

from seedbed.models import (
    AttributeDimension,
    Candidate,
    Check,
    GenerationParams,
    Message,
    Project,
    SeedTask,
    Strict,
)


class Request(Strict):
    """One chat call a method asks for. Persisted as JSON by the engine."""

    key: str  # unique within a run and stable across a resume, e.g. "instructions/3/answer/1"
    stage: str  # a name from the method's `stages`; the engine picks model and params per stage
    messages: list[Message]
    params: GenerationParams
    context: dict[str, Any] = Field(default_factory=dict)  # JSON: what reading the reply needs


class Draft(Strict):
    """A candidate-to-be; the engine adds project, method, prompt, model, usage and job."""

    content: dict[str, str]
    label: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    # Where it came from: {"parent_id": 12, "operation": "deepen", "generation": 2, ...}
    lineage: dict[str, Any] = Field(default_factory=dict)


class Outcome(Strict):
    drafts: list[Draft] = Field(default_factory=list)
    follow_ups: list[Request] = Field(default_factory=list)
    error: str | None = None  # why the reply could not be used, for the user


class NoveltyPool(Protocol):
    """What methods need of seedbed.checks.NoveltyIndex."""

    tokenizer: str  # "rouge" (the reference's ASCII tokens) or "unicode"

    def closest(self, text: str) -> tuple[float, str | None]: ...

    def add(self, text: str) -> None: ...


@dataclass
class MethodContext:
    """Everything a method may read. Built by the engine for each run."""

    project: Project
    seed_tasks: list[SeedTask]
    dimensions: list[AttributeDimension]
    # Accepted candidates of the project, read lazily (the Self-Instruct pool).
    accepted: Callable[[], Iterator[Candidate]]
    # The pool as seedbed/jobs/context.py POOL_RULE has it; the engine adds each stored
    # draft whose instruction checks passed.
    novelty: NoveltyPool
    # The user's choices for this method (validated by the method's own options model).
    options: dict[str, Any] = field(default_factory=dict)


class Method(Protocol):
    """Methods subclass this explicitly, which gives them the default `max_rounds`."""

    name: str  # stored in Candidate.method
    title: str  # shown in the UI
    stages: tuple[str, ...]

    def unavailable(self, context: MethodContext) -> str | None:
        """Why this method cannot run on this project now, or None when it can."""
        ...

    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        """The first requests of a run meant to yield about `n` candidates.

        The engine calls it again (with the same rng) when the run has fewer than
        `n` candidates after every request is answered, until `n` or a round limit.
        """
        ...

    def read(self, context: MethodContext, request: Request, reply: str) -> Outcome:
        """Turn one reply into drafts, follow-up requests, or an explained error."""
        ...

    def max_rounds(self, context: MethodContext) -> int | None:
        """The most planning rounds a run may use, when the method knows better than the
        job's setting (e.g. a fixed list of tasks: another round would only repeat it)."""
        return None


def main_text(content: dict[str, str]) -> str:
    """The part of a candidate that novelty is measured on: instruction, else text."""
    return content.get("instruction") or content.get("text", "")
