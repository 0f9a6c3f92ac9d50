"""The existing items a method rewrites (ChatAug, Evol-Instruct): seeds and accepted candidates.

A source keeps where it came from, so each new draft can link back to it in its
lineage: {"source_kind": "seed", "seed_id": 3, "instance": 0} or
{"source_kind": "candidate", "parent_id": 12}. Seed ids and candidate ids live
under different keys because they are different numbers.
"""

from __future__ import annotations

import math
import random
from typing import Any, Literal

from pydantic import Field

from seedbed.methods.base import MethodContext, MethodOptions
from seedbed.methods.common import candidate_lineage
from seedbed.models import ProjectKind, Strict

SourceChoice = Literal["seeds", "accepted", "both"]


class Source(Strict):
    """One item to rewrite, as JSON-friendly data for a request's context."""

    kind: Literal["seed", "candidate"]
    id: int
    instance: int | None = None  # which instance of a seed task (classification texts)
    content: dict[str, str]  # instruction/input/output, or text/label
    label: str | None = None
    generation: int = 0  # how many rewrites led to it (seeds: 0)

    @property
    def key(self) -> str:
        suffix = f"-{self.instance}" if self.instance is not None else ""
        return f"{self.kind}-{self.id}{suffix}"

    @property
    def text(self) -> str:
        """What gets rewritten: the instruction, else the text."""
        return self.content.get("instruction") or self.content.get("text", "")

    def lineage(self, **extra: Any) -> dict[str, Any]:
        """This source as the parent of a new draft."""
        link: dict[str, Any] = {"source_kind": self.kind}
        if self.kind == "seed":
            link["seed_id"] = self.id
            if self.instance is not None:
                link["instance"] = self.instance
        else:
            link["parent_id"] = self.id
        return {**link, **extra}


class SourceOptions(MethodOptions):
    """Which items to rewrite: explicit ids win over `source`."""

    source: SourceChoice = Field(
        "both", description="Start from seed tasks, accepted items or both"
    )
    seed_ids: list[int] = Field(default_factory=list, description="Only these seed tasks")
    candidate_ids: list[int] = Field(
        default_factory=list, description="Only these accepted candidates"
    )


def seed_sources(context: MethodContext) -> list[Source]:
    """Seed tasks as sources: each instance of a labelled text, or each task's first instance."""
    sources = []
    classification = context.project.kind == ProjectKind.CLASSIFICATION
    for position, task in enumerate(context.seed_tasks):
        seed_id = task.id if task.id is not None else position
        if classification:
            for number, instance in enumerate(task.instances):
                content = {"text": instance.input, "label": instance.output}
                sources.append(
                    Source(
                        kind="seed",
                        id=seed_id,
                        instance=number,
                        content=content,
                        label=instance.output,
                    )
                )
        else:
            first = task.instances[0]
            content = {
                "instruction": task.instruction,
                "input": first.input,
                "output": first.output,
            }
            sources.append(Source(kind="seed", id=seed_id, content=content))
    return [source for source in sources if source.text.strip()]


def accepted_sources(context: MethodContext) -> list[Source]:
    sources = []
    for candidate in context.accepted():
        content = dict(candidate.final_content)
        generation = int(candidate_lineage(candidate).get("generation", 0) or 0)
        label = content.get("label") or candidate.label
        sources.append(
            Source(
                kind="candidate",
                id=candidate.id or 0,
                content=content,
                label=label,
                generation=generation,
            )
        )
    return [source for source in sources if source.text.strip()]


def select_sources(
    context: MethodContext, options: SourceOptions
) -> tuple[list[Source], str | None]:
    """The sources the options name, and a problem for the user (or None)."""
    if options.seed_ids or options.candidate_ids:
        return _sources_by_id(context, options)
    chosen = []
    if options.source in ("seeds", "both"):
        chosen += seed_sources(context)
    if options.source in ("accepted", "both"):
        chosen += accepted_sources(context)
    if not chosen:
        what = {"seeds": "seed task", "accepted": "accepted candidate"}
        return [], f"There is no {what.get(options.source, 'seed or accepted item')} to start from."
    return chosen, None


def _sources_by_id(
    context: MethodContext, options: SourceOptions
) -> tuple[list[Source], str | None]:
    seeds = [s for s in seed_sources(context) if s.id in options.seed_ids]
    accepted = [s for s in accepted_sources(context) if s.id in options.candidate_ids]
    missing = []
    if lost := sorted(set(options.seed_ids) - {s.id for s in seeds}):
        missing.append(f"seed task(s) {lost}")
    if lost := sorted(set(options.candidate_ids) - {s.id for s in accepted}):
        missing.append(f"accepted candidate(s) {lost}")
    if missing:
        return [], "Not found: " + " and ".join(missing) + "."
    return seeds + accepted, None


def pick_sources(sources: list[Source], count: int, rng: random.Random) -> list[Source]:
    """`count` sources in a shuffled order, each once per pass over the list."""
    picks: list[Source] = []
    for _ in range(math.ceil(count / len(sources)) if sources else 0):
        picks += rng.sample(sources, len(sources))
    return picks[:count]
