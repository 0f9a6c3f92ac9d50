"""What a method sees during a job: the project, its seeds and attributes, the novelty pool.

Shared by the engine (seedbed/jobs/engine.py) and the runner's preview and start
checks (seedbed/jobs/runner.py), so the prompt a user previews is the one a job sends.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from seedbed.checks import NoveltyIndex, passed_instruction_checks
from seedbed.errors import JobError
from seedbed.methods import get_method
from seedbed.methods.base import Method, MethodContext, main_text
from seedbed.models import ACCEPTED, PENDING, Project, ProjectKind
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


# Shown where the novelty check is (components/cards.py), so a reviewer knows what it measured.
POOL_RULE = (
    "The pool: the seed tasks, the accepted candidates, and the pending candidates whose "
    "instruction checks (novelty, length, blocklist, format) passed, from every job of the "
    "project; never rejected ones."
)


def method_context(store: Store, project: Project, options: dict[str, Any]) -> MethodContext:
    """What a method may read for `project`; the novelty pool follows POOL_RULE."""
    return MethodContext(
        project=project,
        seed_tasks=store.list_seed_tasks(project.id),
        dimensions=store.list_dimensions(project.id),
        accepted=lambda: store.iter_candidates(project.id, ACCEPTED),
        novelty=NoveltyIndex(pool_texts(store, project)),
        options=dict(options),
    )


def pool_texts(store: Store, project: Project) -> Iterator[str]:
    """The novelty pool (POOL_RULE): seeds (instructions, or a classification project's
    inputs), accepted candidates, and pending ones that passed the instruction checks."""
    for task in store.list_seed_tasks(project.id):
        if project.kind == ProjectKind.CLASSIFICATION:
            yield from (instance.input for instance in task.instances if instance.input)
        else:
            yield task.instruction
    for candidate in store.iter_candidates(project.id, ACCEPTED):
        yield main_text(candidate.final_content)
    for candidate in store.iter_candidates(project.id, PENDING):
        if passed_instruction_checks(candidate.checks):
            yield main_text(candidate.final_content)
