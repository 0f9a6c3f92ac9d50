"""The record schemas of every file format Seedbed writes and reads, one JSON object a line.

Exports are validated against these models in the tests, and imports parse
through them, so a field a fine-tuning tool expects cannot silently go missing.
Foreign files often carry an `id`; every record accepts one and import ignores it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seedbed.models import Candidate, Review, Strict


class Record(Strict):
    """One line of a training-data file; a foreign `id` on it is accepted and ignored."""

    id: str | int | None = Field(default=None, exclude_if=lambda v: v is None)


class AlpacaRecord(Record):
    """Stanford Alpaca: one instruction, an optional input, the expected output."""

    instruction: str
    input: str = ""
    output: str


class ChatMessage(Strict):
    role: Literal["system", "user", "assistant"]
    content: str
    # OpenAI fine-tuning: weight 0 on an assistant message leaves it out of the loss.
    weight: Literal[0, 1] | None = Field(default=None, exclude_if=lambda v: v is None)


class OpenAIChatRecord(Record):
    """OpenAI chat fine-tuning: a conversation ending with the assistant's reply."""

    messages: list[ChatMessage] = Field(min_length=2)

    @model_validator(mode="after")
    def _ends_with_assistant(self) -> OpenAIChatRecord:
        if self.messages[-1].role != "assistant":
            raise ValueError("the last message must be the assistant's reply")
        if not any(message.role == "user" for message in self.messages):
            raise ValueError("there is no user message")
        return self


class ShareGPTTurn(Strict):
    from_: Literal["system", "human", "gpt"] = Field(alias="from")
    value: str


class ShareGPTRecord(Record):
    """ShareGPT (FastChat, Axolotl, LLaMA-Factory): `conversations` of human/gpt turns."""

    conversations: list[ShareGPTTurn] = Field(min_length=2)

    @model_validator(mode="after")
    def _ends_with_gpt(self) -> ShareGPTRecord:
        if self.conversations[-1].from_ != "gpt":
            raise ValueError("the last turn must be from 'gpt'")
        if not any(turn.from_ == "human" for turn in self.conversations):
            raise ValueError("there is no 'human' turn")
        return self


PAIR_ORIGINS = {
    "comparison": "a reviewer compared two completions of the prompt",
    "edit": "a reviewer edited the completion: the edit is chosen, the original rejected",
    "decisions": "an accepted and a rejected completion of the same prompt",
}


class PreferenceRecord(Record):
    """TRL's DPOTrainer, standard (not conversational) format, with where the pair came from.

    `source` is a key of PAIR_ORIGINS; trainers ignore the extra column, and it lets a user
    keep or drop the pairs made from edits.
    """

    prompt: str
    chosen: str
    rejected: str
    source: Literal["comparison", "edit", "decisions"] = "comparison"


class ClassificationRecord(Record):
    text: str
    label: str


class RawReview(Review):
    """One row of the review history of the candidate it is nested in.

    `id` is the row's id in the exporting database, kept so that an "undo" row's
    `undoes_id` still points at the decision it reversed after an import.
    """

    candidate_id: int | None = Field(default=None, exclude=True)


class RawRecord(Candidate):
    """Everything Seedbed knows about one candidate, with its provenance.

    `content` is what the model wrote and `edited_content` what a reviewer
    changed it to; `seed_ids` name the seed tasks shown to the model (as in the
    recipe's seed_tasks); `reviews` is the decision history, oldest first.
    """

    project: str = ""
    seed_ids: list[str] = Field(default_factory=list)
    reviews: list[RawReview] = Field(default_factory=list)


# The JSON key of each record model as the tests load exported lines back.
RECORD_MODELS: dict[str, type[Strict]] = {
    "alpaca": AlpacaRecord,
    "openai_chat": OpenAIChatRecord,
    "sharegpt": ShareGPTRecord,
    "preference": PreferenceRecord,
    "classification": ClassificationRecord,
    "raw": RawRecord,
}
