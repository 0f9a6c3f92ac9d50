"""AI pre-scoring: an LLM judge rates candidates 1-5 on a short rubric.

The scores are advice for ordering the review queue; they never change a
candidate's status: the human decision is the only one that counts. The prompt is
`templates/judge.jinja2`; the reply is parsed leniently (a JSON object, or lines
such as "Correctness: 4/5"), and a reply without all three scores is stored as a
clear "could not parse" result rather than guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, exists, insert, select

from seedbed.conversations import turns
from seedbed.llm.base import ChatBackend, ChatResult
from seedbed.methods.prompts import user_message
from seedbed.models import PENDING, Candidate, GenerationParams, Message, utcnow
from seedbed.store import schema as t
from seedbed.store.core import Store, select_candidates

CRITERIA = ("helpfulness", "correctness", "instruction_following")
JUDGE_PARAMS = GenerationParams(temperature=0.0, max_tokens=96)
_OBJECT = re.compile(r"\{[^{}]*\}")
_NUMBER = r"(\d+(?:\.\d+)?)"
# "<criterion> <up to 12 non-digits> <number>[/<scale>]" on one line.
_LINE = {
    name: re.compile(
        f"(?:{pattern})" + r"[^0-9\n]{0,12}" + _NUMBER + r"(?:\s*/\s*(\d+))?", re.IGNORECASE
    )
    for name, pattern in (
        ("helpfulness", r"help\w*"),
        ("correctness", r"correct\w*"),
        ("instruction_following", r"instruction[\s_-]*following|following"),
    )
}


@dataclass
class JudgeResult:
    """One candidate's scores, or the reason there are none (`error`)."""

    candidate_id: int
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    model: str = ""
    reply: str = ""

    @property
    def overall(self) -> float | None:
        return sum(self.scores.values()) / len(self.scores) if self.scores else None


def build_messages(candidate: Candidate) -> list[Message]:
    """The judge's request for one candidate (its final, possibly edited, content); a
    conversation is judged whole."""
    content = candidate.final_content
    return user_message(
        "judge",
        text=content.get("text"),
        label=content.get("label", candidate.label or ""),
        attributes=candidate.attributes,
        instruction=content.get("instruction", ""),
        input=content.get("input", ""),
        output=content.get("output", ""),
        turns=turns(content),
    )


def _canonical(key: str) -> str | None:
    words = re.sub(r"[^a-z]+", " ", key.lower()).strip()
    if words.startswith("help"):
        return "helpfulness"
    if words.startswith("correct"):
        return "correctness"
    return "instruction_following" if "follow" in words else None


def _score(value: object, scale: object = None) -> float | None:
    """A number from 1 to 5 ("4", 4, "4/5"); None for anything else (4/10, 7, "good")."""
    text = str(value).strip()
    if "/" in text and scale is None:
        text, scale = text.split("/", 1)
    try:
        number, out_of = float(text), float(scale or 5)
    except ValueError:
        return None
    return number if out_of == 5 and 1 <= number <= 5 else None


def parse_scores(reply: str) -> dict[str, float]:
    """The three criteria's scores in `reply`; raises ValueError saying what is missing."""
    found: dict[str, float] = {}
    for match in _OBJECT.finditer(reply):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        for key, value in data.items() if isinstance(data, dict) else []:
            name, score = _canonical(str(key)), _score(value)
            if name and score is not None:
                found.setdefault(name, score)
    for name, pattern in _LINE.items():
        match = pattern.search(reply)
        if name not in found and match:
            score = _score(match.group(1), match.group(2))
            if score is not None:
                found[name] = score
    missing = [name for name in CRITERIA if name not in found]
    if missing:
        raise ValueError(f"could not parse a 1-5 score for {', '.join(missing)}")
    return {name: found[name] for name in CRITERIA}


def result_from_reply(candidate_id: int, reply: ChatResult) -> JudgeResult:
    """Turn one backend reply into scores or a clear error."""
    result = JudgeResult(candidate_id, model=reply.model, reply=reply.text[:2000])
    if reply.error:
        result.error = f"the judge request failed: {reply.error}"
        return result
    try:
        result.scores = parse_scores(reply.text)
    except ValueError as error:
        result.error = f"{error} in the judge's reply"
    return result


def save_result(store: Store, project_id: int, result: JudgeResult) -> None:
    """Store (or replace) a candidate's judge result, committed at once."""
    row = {
        "candidate_id": result.candidate_id,
        "project_id": project_id,
        **{name: result.scores.get(name) for name in CRITERIA},
        "overall": result.overall,
        "model": result.model,
        "error": result.error,
        "reply": result.reply,
        "created_at": utcnow(),
    }
    with store.engine.begin() as conn:
        j = t.judge_scores.c
        conn.execute(delete(t.judge_scores).where(j.candidate_id == result.candidate_id))
        conn.execute(insert(t.judge_scores).values(row))


def judge_candidates(
    store: Store,
    backend: ChatBackend,
    candidates: Sequence[Candidate],
    on_result: Callable[[int, JudgeResult], None] | None = None,
) -> list[JudgeResult]:
    """Ask `backend` to rate each candidate; each result is stored as it arrives.

    Raises BackendError (from the backend) when it cannot work at all.
    """
    results: list[JudgeResult] = []

    def stored(index: int, reply: ChatResult) -> None:
        candidate = candidates[index]
        result = result_from_reply(candidate.id, reply)
        save_result(store, candidate.project_id, result)
        results.append(result)
        if on_result:
            on_result(index, result)

    backend.generate([build_messages(c) for c in candidates], JUDGE_PARAMS, stored)
    return results


def unscored_pending(store: Store, project_id: int, limit: int) -> list[Candidate]:
    """The oldest pending candidates the judge has not rated yet."""
    c, j = t.candidates.c, t.judge_scores.c
    query = select_candidates(project_id, PENDING).with_only_columns(c.id)
    query = query.where(~exists().where(j.candidate_id == c.id)).order_by(c.id).limit(limit)
    with store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    return [candidate for candidate in map(store.get_candidate, ids) if candidate is not None]


def results_for(store: Store, candidate_ids: Sequence[int]) -> dict[int, JudgeResult]:
    """Stored judge results of these candidates, by id."""
    j = t.judge_scores.c
    query = select(t.judge_scores).where(j.candidate_id.in_(list(candidate_ids)))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    results = {}
    for row in rows:
        scores = {name: row._mapping[name] for name in CRITERIA}
        results[row.candidate_id] = JudgeResult(
            row.candidate_id,
            scores={name: score for name, score in scores.items() if score is not None},
            error=row.error,
            model=row.model,
            reply=row.reply,
        )
    return results
