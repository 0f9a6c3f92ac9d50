"""What a method sees during a job: the project, its seeds and attributes, the novelty pool.

Shared by the engine (seedbed/jobs/engine.py) and the runner's preview and start
checks (seedbed/jobs/runner.py), so the prompt a user previews is the one a job sends.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from seedbed.checks import NoveltyIndex
from seedbed.errors import JobError
from seedbed.methods import get_method
from seedbed.methods.base import Method, MethodContext, main_text
from seedbed.models import ACCEPTED, CandidateFilter, Project, ProjectKind
from seedbed.store.core import Store


def method_named(name: str) -> Method:
    """The registered method `name`; raises JobError naming the known ones."""
    try:
        return get_method(name)
    except ValueError as error:
        raise JobError(str(error)) from None


def round_rng(seed: int, round_: int) -> random.Random:
    """The rng of planning round `round_` of a job (the first round's is Random(seed)).

    Derived from (seed, round) rather than carried over from the previous round,
    so a resumed job plans exactly what the lost process would have.
    """
    return random.Random(seed if round_ == 1 else f"{seed}/{round_}")


def method_context(
    store: Store, project: Project, options: dict[str, Any], job_id: int | None = None
) -> MethodContext:
    """What a method may read for `project`; the pool holds the job's own candidates too."""
    return MethodContext(
        project=project,
        seed_tasks=store.list_seed_tasks(project.id),
        dimensions=store.list_dimensions(project.id),
        accepted=lambda: store.iter_candidates(project.id, ACCEPTED),
        novelty=NoveltyIndex(_pool_texts(store, project, job_id)),
        options=dict(options),
    )


def _pool_texts(store: Store, project: Project, job_id: int | None) -> Iterator[str]:
    """Seeds (instructions, or inputs of a classification project), accepted items, the job's."""
    for task in store.list_seed_tasks(project.id):
        if project.kind == ProjectKind.CLASSIFICATION:
            yield from (instance.input for instance in task.instances if instance.input)
        else:
            yield task.instruction
    for candidate in store.iter_candidates(project.id, ACCEPTED):
        yield main_text(candidate.final_content)
    if job_id is not None:  # drafted by this job before a resume
        for candidate in store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id])):
            yield main_text(candidate.content)
