"""Preference pairs, as in Zephyr's AI-feedback data: two completions of one prompt, judged.

Two candidates form a pair when they answer the same prompt: the same instruction
and input (instruction projects) or the same generation prompt (classification
projects). A human picks the better one, a tie, or both bad; the verdict is stored
in `preference_pairs`, which the DPO export reads (`verdict == "better"` rows:
`prompt`, `chosen`, `rejected`, as TRL's DPO trainer expects).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import Text, cast, func, insert, select

from seedbed.checks import refusal_check
from seedbed.errors import BackendError, InputError
from seedbed.llm.base import ChatBackend
from seedbed.methods import attrprompt
from seedbed.methods.prompts import user_message
from seedbed.models import Candidate, GenerationParams, Project, ProjectKind, utcnow
from seedbed.store import schema as t
from seedbed.store.core import Store

VERDICTS = {
    "a": "A is better",
    "b": "B is better",
    "tie": "Tie",
    "both_bad": "Both bad",
}
DECISIVE = "better"  # the stored verdict of a row whose `chosen` was preferred
SECOND_COMPLETION_PARAMS = GenerationParams(temperature=0.9, top_p=0.95, max_tokens=256)


@dataclass
class Pair:
    """Two completions of `prompt`, in the order they are shown (A, then B)."""

    prompt: str
    a: Candidate
    b: Candidate


def prompt_of(candidate: Candidate) -> str:
    """The prompt a candidate's completion answers."""
    content = candidate.content
    if "instruction" in content:
        extra = content.get("input", "")
        return content["instruction"] + (f"\n\n{extra}" if extra else "")
    asked = [message.content for message in candidate.prompt if message.role == "user"]
    return asked[-1] if asked else ""


def completion_of(candidate: Candidate) -> str:
    """The completion itself: the output, or the generated text (edits included)."""
    content = candidate.final_content
    return content.get("output", "") if "instruction" in content else content.get("text", "")


def _prompt_key(kind: ProjectKind) -> tuple[Any, Any]:
    """SQL (key, condition): what groups completions of one prompt, and which rows have one."""
    c = t.candidates.c
    if kind == ProjectKind.INSTRUCTION:
        instruction = func.coalesce(c.content["instruction"].as_string(), "")
        key = instruction + "\n\n" + func.coalesce(c.content["input"].as_string(), "")
        return key, instruction != ""
    key = cast(c.prompt, Text)
    return key, key != "[]"  # a candidate without a stored prompt pairs with nothing


def _groups(
    store: Store, project: Project, sizes: Any, limit: int | None = None
) -> list[tuple[int, int]]:
    """(candidate id, group's first id) of candidates whose prompt group size fits `sizes`.

    One pass of SQL window functions over the project (no row is parsed in Python).
    """
    c, (key, has_prompt) = t.candidates.c, _prompt_key(project.kind)
    sub = select(
        c.id.label("id"),
        func.count().over(partition_by=key).label("n"),
        func.min(c.id).over(partition_by=key).label("first"),
    )
    sub = sub.where(c.project_id == project.id, has_prompt).subquery()
    query = select(sub.c.id, sub.c.first).where(sizes(sub.c.n)).order_by(sub.c.first, sub.c.id)
    with store.engine.connect() as conn:
        return [(row.id, row.first) for row in conn.execute(query.limit(limit))]


def _compared(store: Store, project_id: int, annotator: str) -> set[frozenset[int]]:
    p = t.preference_pairs.c
    query = select(p.chosen_id, p.rejected_id).where(
        p.project_id == project_id, p.annotator == annotator
    )
    with store.engine.connect() as conn:
        return {frozenset(row) for row in conn.execute(query)}


def pairable_groups(store: Store, project: Project) -> list[list[int]]:
    """Candidate ids of each prompt with two or more completions, oldest prompt first.

    One SQL scan of the project: callers that ask often cache it under
    `candidates_fingerprint`.
    """
    members: dict[int, list[int]] = {}
    for candidate_id, first in _groups(store, project, lambda n: n >= 2):
        members.setdefault(first, []).append(candidate_id)
    return list(members.values())


def candidates_fingerprint(store: Store, project_id: int) -> tuple[int, int]:
    """(count, highest id) of the project's candidates: changes when one is added or deleted."""
    c = t.candidates.c
    query = select(func.count(), func.max(c.id)).where(c.project_id == project_id)
    with store.engine.connect() as conn:
        count, highest = conn.execute(query).one()
    return int(count), int(highest or 0)


def next_pair(
    store: Store, project: Project, annotator: str, groups: list[list[int]] | None = None
) -> Pair | None:
    """The first pair of completions of one prompt that `annotator` has not judged yet.

    `groups` is `pairable_groups(...)` when the caller has it. Which completion is
    shown as A is fixed per pair and annotator but not always the older one, so
    position does not bias the verdicts.
    """
    done = _compared(store, project.id, annotator)
    for ids in pairable_groups(store, project) if groups is None else groups:
        for low, high in combinations(ids, 2):
            if frozenset((low, high)) in done:
                continue
            a, b = store.get_candidate(low), store.get_candidate(high)
            if a is None or b is None:
                continue
            if zlib.crc32(f"{low}:{high}:{annotator}".encode()) % 2:
                a, b = b, a
            return Pair(prompt_of(a), a, b)
    return None


def record_preference(store: Store, pair: Pair, verdict: str, annotator: str) -> int:
    """Store `annotator`'s verdict on `pair` (a key of VERDICTS) at once; returns its id."""
    if verdict not in VERDICTS:
        raise ValueError(f"Unknown verdict '{verdict}'.")
    chosen, rejected = (pair.b, pair.a) if verdict == "b" else (pair.a, pair.b)
    row = {
        "project_id": chosen.project_id,
        "prompt": pair.prompt,
        "chosen": completion_of(chosen),
        "rejected": completion_of(rejected),
        "chosen_id": chosen.id,
        "rejected_id": rejected.id,
        "verdict": DECISIVE if verdict in ("a", "b") else verdict,
        "annotator": annotator,
        "created_at": utcnow(),
    }
    with store.engine.begin() as conn:
        result = conn.execute(insert(t.preference_pairs).values(row))
    return int(result.inserted_primary_key[0])


def iter_preference_pairs(
    store: Store, project_id: int, decisive_only: bool = True, batch: int = 500
) -> Iterator[dict[str, Any]]:
    """Stored verdicts as dicts (oldest first, `batch` rows a read); the DPO export reads them."""
    p, last_id = t.preference_pairs.c, 0
    while True:
        query = select(t.preference_pairs).where(p.project_id == project_id, p.id > last_id)
        if decisive_only:
            query = query.where(p.verdict == DECISIVE)
        with store.engine.connect() as conn:
            rows = conn.execute(query.order_by(p.id).limit(batch)).all()
        if not rows:
            return
        yield from (dict(row._mapping) for row in rows)
        last_id = rows[-1].id


def lone_completion(store: Store, project: Project) -> Candidate | None:
    """The oldest candidate whose prompt has a single completion (to ask for another)."""
    rows = _groups(store, project, lambda n: n == 1, limit=1)
    return store.get_candidate(rows[0][0]) if rows else None


def add_second_completion(
    store: Store,
    backend: ChatBackend,
    candidate: Candidate,
    params: GenerationParams = SECOND_COMPLETION_PARAMS,
) -> int:
    """Ask `backend` once more for `candidate`'s prompt; store the answer as a new pending
    candidate (its lineage `completion_of` names the first) and return its id.

    Raises ValueError when the request fails or the reply is empty, BackendError when
    the backend cannot work at all.
    """
    instruction = "instruction" in candidate.content
    if instruction:
        content = candidate.content
        messages = user_message(
            "respond", instruction=content["instruction"], input=content.get("input", "")
        )
    else:
        messages = list(candidate.prompt)
        if not messages:
            raise InputError(f"Candidate {candidate.id} has no stored prompt to send again.")
    [result] = backend.generate([messages], params)
    if result.error:
        raise BackendError(f"The request failed: {result.error}")
    text = result.text.strip() if instruction else attrprompt.parse(result.text)
    if not text:
        raise BackendError("The model's reply was empty.")
    field = "output" if instruction else "text"
    second = Candidate(
        project_id=candidate.project_id,
        content={**candidate.content, field: text},
        method=candidate.method,
        label=candidate.label,
        attributes=candidate.attributes,
        prompt=messages,
        model=result.model or backend.model,
        params=params.model_dump(exclude={"stop"}) | {"backend": backend.name},
        lineage={"completion_of": candidate.id},
        usage=result.usage,
        checks=[refusal_check(text)],
    )
    return store.add_candidate(second)
