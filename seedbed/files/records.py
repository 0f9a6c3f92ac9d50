"""Export formats: one JSON record a line, UTF-8 kept as is.

Each builder turns a candidate's final content (the reviewer's edit when there
is one) into the record a fine-tuning tool reads; `seedbed.files.formats` holds the
schemas they satisfy.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from sqlalchemy import select

from seedbed.conversations import is_conversation, turns
from seedbed.errors import ExportError
from seedbed.files.formats import PreferenceRecord, RawRecord, RawReview
from seedbed.models import Candidate, CandidateFilter, CandidateStatus, Project, ProjectKind
from seedbed.store import schema as t
from seedbed.store.core import Store, as_utc

FORMATS = {
    "alpaca": "Alpaca (instruction, input, output)",
    "openai_chat": "OpenAI chat (messages)",
    "sharegpt": "ShareGPT (conversations, human/gpt)",
    "preference": "Preference pairs (prompt, chosen, rejected) for TRL's DPOTrainer",
    "classification": "Classification (text, label)",
    "raw": "Raw (everything, with provenance and review history)",
}
# Short names for pickers; FORMATS says what each record holds.
FORMAT_TITLES = {
    "alpaca": "Alpaca",
    "openai_chat": "OpenAI chat",
    "sharegpt": "ShareGPT",
    "preference": "Preference pairs (DPO)",
    "classification": "Classification",
    "raw": "Raw with provenance",
}
# Formats built one candidate at a time; preference pairs join two candidates.
CANDIDATE_FORMATS = ["alpaca", "openai_chat", "sharegpt", "classification", "raw"]


def formats_for(project: Project) -> dict[str, str]:
    """The formats that make sense for `project` (classification needs labels)."""
    if project.kind == ProjectKind.CLASSIFICATION:
        return dict(FORMATS)
    return {key: text for key, text in FORMATS.items() if key != "classification"}


def _instruction_triple(candidate: Candidate, project: Project) -> tuple[str, str, str]:
    """(instruction, input, output) for either kind of project."""
    content = candidate.final_content
    if "text" in content:
        labels = ", ".join(project.labels)
        instruction = f"Classify the text into one of these labels: {labels}."
        return instruction, content["text"], content.get("label", candidate.label or "")
    return content.get("instruction", ""), content.get("input", ""), content.get("output", "")


def user_turn(instruction: str, input_text: str) -> str:
    """The user's message for an instruction and its optional input."""
    return f"{instruction}\n\n{input_text}" if input_text else instruction


def alpaca_record(candidate: Candidate, project: Project) -> dict[str, str]:
    if is_conversation(candidate.final_content):
        raise ExportError(
            f"Candidate {candidate.id} is a conversation: Alpaca holds one exchange. "
            "Export conversations as OpenAI chat or ShareGPT."
        )
    instruction, input_text, output = _instruction_triple(candidate, project)
    return {"instruction": instruction, "input": input_text, "output": output}


def _chat_turns(candidate: Candidate, project: Project) -> list[tuple[str, str]]:
    """(role, text) of every turn: a conversation's all, else the one exchange."""
    if is_conversation(candidate.final_content):
        return turns(candidate.final_content)
    instruction, input_text, output = _instruction_triple(candidate, project)
    return [("user", user_turn(instruction, input_text)), ("assistant", output)]


def openai_chat_record(
    candidate: Candidate, project: Project, system_prompt: str = ""
) -> dict[str, list[dict[str, str]]]:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages += [{"role": role, "content": text} for role, text in _chat_turns(candidate, project)]
    return {"messages": messages}


def sharegpt_record(
    candidate: Candidate, project: Project, system_prompt: str = ""
) -> dict[str, list[dict[str, str]]]:
    speakers = {"user": "human", "assistant": "gpt"}
    said = [{"from": "system", "value": system_prompt}] if system_prompt else []
    said += [
        {"from": speakers[role], "value": text} for role, text in _chat_turns(candidate, project)
    ]
    return {"conversations": said}


def classification_record(candidate: Candidate, project: Project) -> dict[str, str]:
    content = candidate.final_content
    if "text" not in content:
        raise ExportError("The classification format needs a classification project.")
    return {"text": content["text"], "label": content.get("label") or candidate.label or ""}


class Provenance:
    """What a raw record adds to a candidate: project, seed ids and review history."""

    def __init__(self, store: Store, project: Project) -> None:
        self.store, self.project = store, project
        # Ids as in the recipe and seed_tasks.jsonl: seed_task_<position>.
        self.seeds = [
            (f"seed_task_{index}", task.instruction)
            for index, task in enumerate(store.list_seed_tasks(project.id))
        ]

    def seed_ids(self, candidate: Candidate) -> list[str]:
        """The seed tasks whose instruction the model was shown in the candidate's prompt."""
        shown = "\n".join(message.content for message in candidate.prompt)
        return [seed_id for seed_id, instruction in self.seeds if instruction in shown]

    def records(self, candidates: Sequence[Candidate]) -> list[RawRecord]:
        reviews = reviews_by_candidate(self.store, [c.id for c in candidates if c.id])
        return [
            RawRecord(
                **candidate.model_dump(),
                project=self.project.name,
                seed_ids=self.seed_ids(candidate),
                reviews=[RawReview(**r.model_dump()) for r in reviews.get(candidate.id, [])],
            )
            for candidate in candidates
        ]


def reviews_by_candidate(store: Store, ids: Sequence[int]) -> dict[int, list[RawReview]]:
    """Every review of the given candidates, oldest first, in one query per 500 ids."""
    found: dict[int, list[RawReview]] = defaultdict(list)
    for chunk in _batches(ids, 500):
        query = (
            select(t.reviews).where(t.reviews.c.candidate_id.in_(chunk)).order_by(t.reviews.c.id)
        )
        with store.engine.connect() as conn:
            for row in conn.execute(query):
                review = RawReview.model_validate(dict(row._mapping))
                review.created_at = as_utc(review.created_at)
                found[row.candidate_id].append(review)
    return found


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _record(candidate: Candidate, project: Project, fmt: str, system_prompt: str) -> dict:
    if fmt == "alpaca":
        return alpaca_record(candidate, project)
    if fmt == "openai_chat":
        return openai_chat_record(candidate, project, system_prompt)
    if fmt == "sharegpt":
        return sharegpt_record(candidate, project, system_prompt)
    if fmt == "classification":
        return classification_record(candidate, project)
    raise ValueError(f"Unknown export format '{fmt}'.")


# Characters str.splitlines() breaks on that JSON leaves raw: escaped so that any
# reader, even one splitting with splitlines(), sees one record a line.
_LINE_BREAKERS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def dumps(record: dict) -> str:
    """One JSONL line: compact JSON, UTF-8 characters as they are (but line separators)."""
    return json.dumps(record, ensure_ascii=False).translate(_LINE_BREAKERS) + "\n"


def export_lines(
    candidates: Iterable[Candidate],
    project: Project,
    fmt: str,
    system_prompt: str = "",
    provenance: Provenance | None = None,
) -> Iterator[str]:
    """One JSON line per candidate in format `fmt` (a key of CANDIDATE_FORMATS).

    The raw format needs `provenance` (it reads reviews in batches of 500).
    """
    if fmt == "raw":
        if provenance is None:
            raise ExportError("The raw format needs the store's provenance.")
        for batch in _batches(candidates, 500):
            for record in provenance.records(batch):
                yield dumps(record.model_dump(mode="json"))
        return
    for candidate in candidates:
        yield dumps(_record(candidate, project, fmt, system_prompt))


def _pair_prompt(candidate: Candidate, project: Project) -> tuple[str, str]:
    """(prompt, completion) of a candidate for preference pairs.

    Instruction data: the user turn and the output. Classification data: the
    generation prompt the model answered and the text it wrote.
    """
    content = candidate.final_content
    if "text" in content:
        asked = [m.content for m in candidate.prompt if m.role == "user"]
        return (asked[-1] if asked else ""), content["text"]
    instruction, input_text, output = _instruction_triple(candidate, project)
    return user_turn(instruction, input_text), output


PAIR_SOURCE = (
    "accepted and rejected candidates answering the same prompt; "
    "every accepted answer is paired with every rejected one"
)


def preference_pairs(
    store: Store, project: Project, where: CandidateFilter, chosen_ids: set[int] | None = None
) -> list[tuple[int, PreferenceRecord]]:
    """(chosen candidate id, pair) for every accepted/rejected pair sharing a prompt.

    `where` narrows both sides except for status; `chosen_ids` limits the
    chosen side (for example to one split after de-duplication).
    """
    rejected: dict[str, list[str]] = defaultdict(list)
    rejected_filter = where.model_copy(update={"statuses": [CandidateStatus.REJECTED]})
    for candidate in store.iter_candidates(project.id, rejected_filter):
        prompt, completion = _pair_prompt(candidate, project)
        if prompt and completion not in rejected[prompt]:
            rejected[prompt].append(completion)
    pairs = []
    accepted_filter = where.model_copy(update={"statuses": [CandidateStatus.ACCEPTED]})
    for candidate in store.iter_candidates(project.id, accepted_filter):
        if chosen_ids is not None and candidate.id not in chosen_ids:
            continue
        prompt, completion = _pair_prompt(candidate, project)
        for other in rejected.get(prompt, []):
            if other != completion:
                pairs.append(
                    (
                        candidate.id,
                        PreferenceRecord(
                            prompt=prompt, chosen=completion, rejected=other, source="decisions"
                        ),
                    )
                )
    return pairs


EDIT_PAIR_SOURCE = "reviewers' edits (the edited text chosen, the original rejected)"


def edit_pairs(
    store: Store, project: Project, where: CandidateFilter, chosen_ids: set[int] | None = None
) -> list[tuple[int, PreferenceRecord]]:
    """(candidate id, pair) for every accepted candidate a reviewer edited.

    An edit is a preference: the edited completion is chosen over what the model wrote.
    `where` and `chosen_ids` narrow the candidates as in `preference_pairs`.
    """
    pairs = []
    accepted_filter = where.model_copy(update={"statuses": [CandidateStatus.ACCEPTED]})
    for candidate in store.iter_candidates(project.id, accepted_filter):
        if candidate.edited_content is None:
            continue
        if chosen_ids is not None and candidate.id not in chosen_ids:
            continue
        prompt, edited = _pair_prompt(candidate, project)
        _, original = _pair_prompt(candidate.model_copy(update={"edited_content": None}), project)
        if prompt and edited != original:
            pair = PreferenceRecord(prompt=prompt, chosen=edited, rejected=original, source="edit")
            pairs.append((candidate.id, pair))
    return pairs
