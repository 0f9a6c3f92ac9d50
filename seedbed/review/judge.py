"""LLM judges: each rates candidates 1-5 on a short rubric.

The scores order the review queue (lowest first, or the least sure first), and a
judge's verdict is "accept" from the project's `accept_at` overall score. Several
judges (models) may rate the same candidate; their verdicts are measured against
human decisions in seedbed.review.agreement, and only a judge measured to agree
well enough may decide alone (seedbed.review.auto). The prompt is
`templates/judge.jinja2`; the reply is parsed leniently (a JSON object, or lines
such as "Correctness: 4/5"), and a reply without all three scores is stored as a
clear "could not parse" result rather than guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, exists, insert, select, update

from seedbed.conversations import turns
from seedbed.errors import InputError
from seedbed.llm.base import ChatBackend, ChatResult
from seedbed.methods.prompts import user_message
from seedbed.models import PENDING, Candidate, GenerationParams, Message, utcnow
from seedbed.store import schema as t
from seedbed.store.core import Store, select_candidates

CRITERIA = ("helpfulness", "correctness", "instruction_following")
RUBRICS = ("overall", *CRITERIA)  # what a verdict can be taken from
ACCEPT_AT = 3.5  # a project's default: an overall score from which the verdict is "accept"
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


@dataclass(frozen=True)
class JudgeSettings:
    """A project's judge settings: the verdict threshold, and the judge-vs-human kappa
    from which a judge may decide alone (None: auto-decisions are off)."""

    accept_at: float = ACCEPT_AT
    auto_kappa: float | None = None


def verdict(score: float, accept_at: float) -> str:
    """The decision a judge's score stands for: "accepted" from `accept_at` up."""
    return "accepted" if score >= accept_at else "rejected"


def settings(store: Store, project_id: int) -> JudgeSettings:
    s = t.review_settings.c
    query = select(s.judge_accept_at, s.auto_kappa).where(s.project_id == project_id)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return JudgeSettings()
    accept_at = ACCEPT_AT if row.judge_accept_at is None else row.judge_accept_at
    return JudgeSettings(accept_at, row.auto_kappa)


def save_settings(store: Store, project_id: int, chosen: JudgeSettings) -> None:
    """Store the project's judge settings; InputError when a value is out of range."""
    if not 1.0 <= chosen.accept_at <= 5.0:
        raise InputError("The judge's accept threshold is a score from 1 to 5.")
    if chosen.auto_kappa is not None and not 0.0 < chosen.auto_kappa <= 1.0:
        raise InputError("The kappa that allows auto-decisions is above 0 and at most 1.")
    values = {"judge_accept_at": chosen.accept_at, "auto_kappa": chosen.auto_kappa}
    s = t.review_settings.c
    with store.engine.begin() as conn:
        query = update(t.review_settings).where(s.project_id == project_id).values(values)
        if not conn.execute(query).rowcount:
            row = {"project_id": project_id, "overlap": 0.0, **values}
            conn.execute(insert(t.review_settings).values(row))


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


def result_from_reply(candidate_id: int, reply: ChatResult, model: str = "") -> JudgeResult:
    """Turn one backend reply into scores or a clear error; `model` names the judge (the
    model asked for: servers often answer with a dated variant of the name)."""
    result = JudgeResult(candidate_id, model=model or reply.model, reply=reply.text[:2000])
    if reply.error:
        result.error = f"the judge request failed: {reply.error}"
        return result
    try:
        result.scores = parse_scores(reply.text)
    except ValueError as error:
        result.error = f"{error} in the judge's reply"
    return result


def save_result(store: Store, project_id: int, result: JudgeResult) -> None:
    """Store (or replace) this judge's result for the candidate, committed at once."""
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
        mine = and_(j.candidate_id == result.candidate_id, j.model == result.model)
        conn.execute(delete(t.judge_scores).where(mine))
        conn.execute(insert(t.judge_scores).values(row))


def judge_candidates(
    store: Store,
    backend: ChatBackend,
    candidates: Sequence[Candidate],
    on_result: Callable[[int, JudgeResult], None] | None = None,
) -> list[JudgeResult]:
    """Ask `backend` (the judge is its model) to rate each candidate; each result is
    stored as it arrives.

    Raises BackendError (from the backend) when it cannot work at all.
    """
    results: list[JudgeResult] = []

    def stored(index: int, reply: ChatResult) -> None:
        candidate = candidates[index]
        result = result_from_reply(candidate.id, reply, backend.model)
        save_result(store, candidate.project_id, result)
        results.append(result)
        if on_result:
            on_result(index, result)

    backend.generate([build_messages(c) for c in candidates], JUDGE_PARAMS, stored)
    return results


def unscored_pending(store: Store, project_id: int, limit: int, model: str) -> list[Candidate]:
    """The oldest pending candidates the judge `model` has not rated yet."""
    c, j = t.candidates.c, t.judge_scores.c
    query = select_candidates(project_id, PENDING).with_only_columns(c.id)
    rated = exists().where(j.candidate_id == c.id, j.model == model)
    query = query.where(~rated).order_by(c.id).limit(limit)
    with store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    return [candidate for candidate in map(store.get_candidate, ids) if candidate is not None]


def results_for(store: Store, candidate_ids: Sequence[int]) -> dict[int, list[JudgeResult]]:
    """Stored judge results of these candidates, by id; each list ordered by model."""
    j = t.judge_scores.c
    query = select(t.judge_scores).where(j.candidate_id.in_(list(candidate_ids)))
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(j.candidate_id, j.model)).all()
    results: dict[int, list[JudgeResult]] = {}
    for row in rows:
        scores = {name: row._mapping[name] for name in CRITERIA}
        results.setdefault(row.candidate_id, []).append(
            JudgeResult(
                row.candidate_id,
                scores={name: score for name, score in scores.items() if score is not None},
                error=row.error,
                model=row.model,
                reply=row.reply,
            )
        )
    return results


def judges(store: Store, project_id: int) -> list[str]:
    """The models that have rated candidates of the project, by name."""
    j = t.judge_scores.c
    query = select(j.model).where(j.project_id == project_id, j.overall.is_not(None))
    with store.engine.connect() as conn:
        return sorted(conn.execute(query.distinct()).scalars())


def disagree(results: Sequence[JudgeResult], accept_at: float) -> bool:
    """True when the judges that scored a candidate give it different verdicts."""
    verdicts = {verdict(r.overall, accept_at) for r in results if r.overall is not None}
    return len(verdicts) > 1
