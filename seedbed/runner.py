"""Generation runs: plan the requests of a method, call a backend, store each candidate at once.

The same code serves the app and `python -m seedbed generate`. A candidate is
committed the moment its reply is parsed, so a killed process loses nothing
that was already stored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from seedbed import filters
from seedbed.llm.base import ChatBackend, ChatResult
from seedbed.methods import attrprompt, self_instruct
from seedbed.models import (
    ACCEPTED,
    Candidate,
    GenerationParams,
    Message,
    Project,
    ProjectKind,
)
from seedbed.store import Store

METHODS = {
    self_instruct.METHOD: "Self-Instruct",
    attrprompt.METHOD: "AttrPrompt",
}
# Expected new instructions per Self-Instruct request; sizes the first stage.
_INSTRUCTIONS_PER_REQUEST = 4


@dataclass
class PlannedRequest:
    messages: list[Message]
    label: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class RunReport:
    candidate_ids: list[int] = field(default_factory=list)
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


ProgressCallback = Callable[[int, int, str], None]


def default_params(method: str) -> GenerationParams:
    return (
        self_instruct.DEFAULT_PARAMS
        if method == self_instruct.METHOD
        else attrprompt.DEFAULT_PARAMS
    )


def available_methods(store: Store, project: Project) -> dict[str, str]:
    """The methods this project can run now (AttrPrompt needs attribute dimensions)."""
    methods = dict(METHODS)
    if not store.list_dimensions(project.id):
        methods.pop(attrprompt.METHOD)
    if project.kind == ProjectKind.CLASSIFICATION:
        methods.pop(self_instruct.METHOD)
    return methods


def instruction_pool(store: Store, project_id: int) -> tuple[list[str], list[str]]:
    """Seed instructions and accepted machine instructions (Self-Instruct's task pool)."""
    seeds = [task.instruction for task in store.list_seed_tasks(project_id)]
    machine = [
        candidate.final_content.get("instruction", "")
        for candidate in store.iter_candidates(project_id, ACCEPTED)
        if candidate.final_content.get("instruction")
    ]
    return seeds, machine


def plan_requests(
    store: Store, project: Project, method: str, n: int, seed: int
) -> list[PlannedRequest]:
    """The requests a run of `n` items sends first, deterministic for a given seed."""
    rng = random.Random(seed)
    if method == self_instruct.METHOD:
        seeds, machine = instruction_pool(store, project.id)
        if not seeds:
            raise ValueError("Self-Instruct needs at least one seed task.")
        count = max(1, math.ceil(n / _INSTRUCTIONS_PER_REQUEST))
        return [
            PlannedRequest(
                self_instruct.build_messages(
                    self_instruct.sample_prompt_instructions(seeds, machine, rng)
                )
            )
            for _ in range(count)
        ]
    if method == attrprompt.METHOD:
        dimensions = store.list_dimensions(project.id)
        labels: list[str | None] = list(project.labels) or [None]
        item = attrprompt.item_noun(project)
        planned = []
        for index in range(n):
            label = labels[index % len(labels)]
            attributes = attrprompt.sample_attributes(dimensions, label, rng)
            planned.append(
                PlannedRequest(
                    attrprompt.build_messages(item, label, attributes), label, attributes
                )
            )
        return planned
    raise ValueError(f"Unknown method '{method}'.")


@dataclass
class _Draft:
    request: PlannedRequest
    content: dict[str, str]
    result: ChatResult


class _Run:
    """One generation run; stores every candidate as soon as it is complete."""

    def __init__(self, store, backend, project, method, params, on_progress) -> None:
        self.store, self.backend, self.project = store, backend, project
        self.method, self.params = method, params
        self.on_progress = on_progress
        self.report = RunReport()
        self.done, self.total = 0, 0
        self.pool = _novelty_pool(store, project)
        # Instructions drafted in this run but not stored yet (they wait for an answer).
        self.drafted: set[str] = set()

    def tick(self, what: str) -> None:
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, self.total, what)

    def fail(self, error: str) -> None:
        self.report.failed += 1
        self.report.errors.append(error)

    def store_candidate(self, draft: _Draft, answer: ChatResult | None = None) -> None:
        content = dict(draft.content)
        usage = draft.result.usage.model_copy()
        if answer is not None:
            content["output"] = answer.text.strip()
            usage.prompt_tokens += answer.usage.prompt_tokens
            usage.completion_tokens += answer.usage.completion_tokens
        main = content.get("instruction") or content.get("text", "")
        full = "\n".join(content.values())
        max_words = filters.MAX_WORDS if "instruction" in content else 2000
        candidate = Candidate(
            project_id=self.project.id,
            content=content,
            method=self.method,
            label=draft.request.label,
            attributes=draft.request.attributes,
            prompt=draft.request.messages,
            model=draft.result.model or self.backend.model,
            params=self.params.model_dump(exclude={"stop"}) | {"backend": self.backend.name},
            usage=usage,
            checks=filters.run_checks(main, full, self.pool, max_words=max_words),
        )
        self.report.candidate_ids.append(self.store.add_candidate(candidate))
        self.pool.append(main)


def _novelty_pool(store: Store, project: Project) -> list[str]:
    if project.kind == ProjectKind.INSTRUCTION:
        seeds, machine = instruction_pool(store, project.id)
        return seeds + machine
    seeds = [i.input for task in store.list_seed_tasks(project.id) for i in task.instances]
    accepted = store.iter_candidates(project.id, ACCEPTED)
    return seeds + [c.final_content.get("text", "") for c in accepted]


def run_generation(
    store: Store,
    backend: ChatBackend,
    project: Project,
    method: str,
    n: int,
    params: GenerationParams | None = None,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
) -> RunReport:
    """Generate up to `n` candidates with `method` and store each one as pending.

    Raises BackendError when the backend cannot work at all (the candidates
    stored before that stay stored).
    """
    params = params or default_params(method)
    planned = plan_requests(store, project, method, n, seed)
    run = _Run(store, backend, project, method, params, on_progress)
    answers_needed = project.kind == ProjectKind.INSTRUCTION
    run.total = len(planned) + (n if answers_needed else 0)
    drafts: list[_Draft] = []

    def first_stage(index: int, result: ChatResult) -> None:
        run.tick("item")
        if result.error:
            run.fail(result.error)
            return
        for draft in _drafts_from(run, planned[index], result):
            if answers_needed:
                drafts.append(draft)
            else:
                run.store_candidate(draft)

    backend.generate([p.messages for p in planned], params, first_stage)
    if answers_needed:
        if len(drafts) < n:
            run.report.notes.append(f"The model proposed {len(drafts)} usable new items of {n}.")
        _answer_stage(run, drafts[:n])
    return run.report


def _drafts_from(run: _Run, request: PlannedRequest, result: ChatResult) -> list[_Draft]:
    if run.method == self_instruct.METHOD:
        known = set(run.pool) | run.drafted
        shown = {m.content for m in request.messages}
        texts = [
            text
            for text in self_instruct.parse(result.text)
            if text not in known and not any(text in content for content in shown)
        ]
        run.drafted.update(texts)
        if not texts:
            run.fail("The reply held no new numbered instruction.")
        drafts = [
            _Draft(request, {"instruction": t, "input": "", "output": ""}, _without_usage(result))
            for t in texts
        ]
        if drafts:
            drafts[0].result = result  # the request's tokens count once, so sums stay exact
        return drafts
    text = attrprompt.parse(result.text)
    if not text:
        run.fail("The reply was empty.")
        return []
    if run.project.kind == ProjectKind.CLASSIFICATION:
        return [_Draft(request, {"text": text, "label": request.label or ""}, result)]
    return [_Draft(request, {"instruction": text, "input": "", "output": ""}, result)]


def _without_usage(result: ChatResult) -> ChatResult:
    return ChatResult(text=result.text, model=result.model, error=result.error)


def _answer_stage(run: _Run, drafts: list[_Draft]) -> None:
    """Fill each new instruction's output; store each candidate as its answer arrives."""
    run.total = run.done + len(drafts)
    if not drafts:
        # Nothing to answer: report the shrunken total so progress ends complete.
        if run.on_progress:
            run.on_progress(run.done, run.total, "answer")
        return

    def answered(index: int, result: ChatResult) -> None:
        run.tick("answer")
        if result.error:
            run.fail(result.error)
        elif not result.text.strip():
            run.fail("The reply was empty.")
        else:
            run.store_candidate(drafts[index], result)

    requests = [self_instruct.build_response_messages(d.content["instruction"]) for d in drafts]
    # Outputs at temperature 0, as Self-Instruct generates its instances.
    answer_params = GenerationParams(temperature=0.0, max_tokens=run.params.max_tokens)
    run.backend.generate(requests, answer_params, answered)
