"""The contract between generation methods and the engine that runs them.

A method is pure: it plans chat requests and reads replies, and never calls a
backend or the store. The engine (seedbed/jobs/engine.py) sends the requests,
persists each one, and stores what a reply turns into, so a run can be resumed
request by request after a crash.

A method subclasses `Method` and declares its name, title, description and
options (a `MethodOptions` model whose `stage_params` names its stages); the UI,
the command line and the engine read nothing else of it.

A reply turns into an `Outcome`: finished candidates (`drafts`), further
requests that depend on it (`follow_ups`, e.g. Self-Instruct's instance
generation after its instruction stage), or an explained `error`.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

from pydantic import Field, ValidationError, model_validator

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


class MethodOptions(Strict):
    """A method's options; `params` holds the sampling of each stage.

    `params` may name only some stages and only some fields: what it leaves out
    keeps the method's default for that stage (`stage_params`).
    """

    stage_params: ClassVar[dict[str, GenerationParams]] = {}
    params: dict[str, GenerationParams] = Field(
        default_factory=dict,
        description="Sampling by stage; a stage or field left out keeps the method's default",
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_stage_params(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        given = data.get("params") or {}
        if not isinstance(given, Mapping):
            return data  # pydantic reports the wrong type
        unknown = sorted(set(given) - set(cls.stage_params))
        if unknown:
            known = ", ".join(cls.stage_params)
            raise ValueError(f"no stage named {', '.join(unknown)} (stages: {known})")
        merged = {}
        for stage, default in cls.stage_params.items():
            override = given.get(stage) or {}
            if isinstance(override, GenerationParams):
                override = override.model_dump(exclude_unset=True)
            if isinstance(override, Mapping):
                override = {**default.model_dump(), **override}
            merged[stage] = override  # anything else: pydantic reports the wrong type
        return {**data, "params": merged}

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> Self:
        """The validated options; raises ValueError with a message for the user."""
        try:
            return cls.model_validate(dict(options))
        except ValidationError as error:
            raise ValueError(options_problem(error)) from None


def options_problem(error: ValidationError) -> str:
    """The invalid options in one line, e.g. 'max_instances: Input should be greater ...'."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "options"
        lines.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    return "Invalid options. " + "; ".join(lines)


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


class Method(ABC):
    """A generation method. Subclasses declare the four class attributes below and
    implement `plan` and `read`; the rest has a documented default.

    The UI, the command line and the engine read only what is declared here.
    """

    name: ClassVar[str]
    """The method's id: stored in Candidate.method and JobSettings.method, given to
    --method. Never renamed, or stored candidates and jobs lose their method."""

    title: ClassVar[str]
    """What the UI and the command line call the method, e.g. "Self-Instruct"."""

    description: ClassVar[str]
    """One line shown under the method picker: what it makes, from what, and whose it is."""

    Options: ClassVar[type[MethodOptions]]
    """The user's choices (a pydantic model). The Generate page draws a widget for
    each field, with the field's description as help; `Options.stage_params` names
    the stages and their default sampling."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Checked when the class is defined, so an incomplete method fails at import
        # rather than on the Generate page.
        super().__init_subclass__(**kwargs)
        missing = [a for a in ("name", "title", "description", "Options") if not hasattr(cls, a)]
        if missing:
            raise TypeError(f"Method {cls.__name__} does not declare {', '.join(missing)}.")
        if not cls.Options.stage_params:
            raise TypeError(f"Method {cls.__name__}: Options.stage_params names no stage.")

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages a run goes through, in order: the engine picks the model and the
        sampling per stage. They are the keys of `Options.stage_params`, so a stage
        always has default sampling."""
        return tuple(self.Options.stage_params)

    def unavailable(self, context: MethodContext) -> str | None:
        """Why this method cannot run on this project now, or None when it can.

        The default objects only to invalid options (the message names the field);
        a method that needs more (seed tasks, attributes) checks that and calls this.
        """
        try:
            self.Options.parse(context.options)
        except ValueError as error:
            return str(error)
        return None

    @abstractmethod
    def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
        """The first requests of a run meant to yield about `n` candidates.

        The engine calls it again (with the same rng) when the run has fewer than
        `n` candidates after every request is answered, until `n` or a round limit.
        """

    @abstractmethod
    def read(
        self,
        context: MethodContext,
        request: Request,
        reply: str,
        finish_reason: str | None = None,
    ) -> Outcome:
        """Turn one reply into drafts, follow-up requests, or an explained error.

        `finish_reason` is the backend's (ChatResult.finish_reason): "length" when the
        reply was cut at its max_tokens (seedbed.checks.was_cut). A method whose reply
        is a list drops the cut last item, as Self-Instruct does, and marks the rest
        with a passed `truncated` check; one whose reply is a single text flags it
        with a failed one. The engine adds a failed `truncated` check to any draft of
        a cut reply that carries none, so a cut candidate always says so.
        """

    def max_rounds(self, context: MethodContext) -> int | None:
        """The most planning rounds a run may use, when the method knows better than the
        job's setting (e.g. a fixed list of tasks: another round would only repeat it).

        The default, None, leaves it to the job's `max_rounds`."""
        return None


def main_text(content: dict[str, str]) -> str:
    """The part of a candidate that novelty is measured on: instruction, else text, else
    a conversation's first user turn."""
    return content.get("instruction") or content.get("text") or content.get("user_1", "")
