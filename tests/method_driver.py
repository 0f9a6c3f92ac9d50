"""Run a method the way the engine does, without a backend or a store: for method tests.

`drive` plans, answers each request with `reply(request)`, reads the reply, and
follows the follow-ups until none is left. Each request goes through a JSON round
trip first, as the engine persists it, and the main text of each draft whose
instruction checks passed joins the novelty pool, as the engine does when it stores it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedbed.checks import passed_instruction_checks
from seedbed.methods.base import Draft, Method, MethodContext, Request, main_text
from seedbed.models import AttributeDimension, Candidate, CandidateStatus, Project, SeedTask
from seedbed.novelty import NoveltyIndex


def make_context(
    project: Project,
    seeds: Sequence[SeedTask] = (),
    dimensions: Sequence[AttributeDimension] = (),
    accepted: Iterable[Candidate] = (),
    options: dict[str, Any] | None = None,
) -> MethodContext:
    """A context as the engine builds it: the pool holds the seeds and the accepted items."""
    accepted = list(accepted)
    pool = [task.instruction for task in seeds] + [main_text(c.final_content) for c in accepted]
    return MethodContext(
        project=project,
        seed_tasks=list(seeds),
        dimensions=list(dimensions),
        accepted=lambda: iter(accepted),
        novelty=NoveltyIndex(pool),
        options=options or {},
    )


def accepted_candidate(candidate_id: int, **fields: Any) -> Candidate:
    fields.setdefault("method", "self_instruct")
    return Candidate(id=candidate_id, project_id=1, status=CandidateStatus.ACCEPTED, **fields)


def by_stage(**replies: str) -> Callable[[Request], str]:
    """A reply function that answers each request with the text given for its stage."""
    return lambda request: replies[request.stage]


@dataclass
class Run:
    requests: list[Request] = field(default_factory=list)
    drafts: list[tuple[Request, Draft]] = field(default_factory=list)
    errors: list[tuple[Request, str]] = field(default_factory=list)

    def stages(self) -> list[str]:
        return [request.stage for request in self.requests]

    def contents(self) -> list[dict[str, str]]:
        return [draft.content for _, draft in self.drafts]


def drive(
    method: Method,
    context: MethodContext,
    reply: Callable[[Request], str],
    n: int = 1,
    seed: int = 0,
) -> Run:
    """Plan `n`, answer every request (follow-ups too) with `reply`, collect what comes out."""
    run = Run()
    queue = method.plan(context, n, random.Random(seed))
    while queue:
        request = Request.model_validate_json(queue.pop(0).model_dump_json())
        run.requests.append(request)
        outcome = method.read(context, request, reply(request))
        if outcome.error:
            run.errors.append((request, outcome.error))
        for draft in outcome.drafts:
            run.drafts.append((request, draft))
            if passed_instruction_checks(draft.checks):
                context.novelty.add(main_text(draft.content))
        queue.extend(outcome.follow_ups)
    keys = [request.key for request in run.requests]
    assert len(keys) == len(set(keys)), "request keys must be unique within a run"
    return run


def prompt_of(request: Request) -> str:
    """The text of a request's single user message."""
    [message] = request.messages
    assert message.role == "user"
    return message.content
