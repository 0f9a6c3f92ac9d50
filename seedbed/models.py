"""Pydantic schemas for everything that crosses a boundary (store, files, backends).

Every model forbids unknown fields so that a typo in an imported file or a stale
column is reported instead of silently dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from seedbed import conversations


def utcnow() -> datetime:
    """Timezone-aware 'now' used for every timestamp Seedbed writes."""
    return datetime.now(UTC)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectKind(StrEnum):
    INSTRUCTION = "instruction"
    CLASSIFICATION = "classification"


MAX_SIMILAR = 5  # similar labels per label


class Project(Strict):
    id: int | None = None
    name: str = Field(min_length=1, max_length=200)
    kind: ProjectKind = ProjectKind.INSTRUCTION
    description: str = ""
    labels: list[str] = Field(default_factory=list)
    # What one generated item is called in prompts ("news article"); a default by kind when empty.
    item_name: str = Field("", max_length=200)
    # How a prompt ties an item to its label, "{label}" standing for it; empty: the
    # topic form (seedbed.methods.common.LABEL_PHRASES has the presets).
    label_phrase: str = Field("", max_length=200)
    # Labels close to each label, named on the Attributes page: AttrPrompt removes values
    # that fit a similar label, and asks for items irrelevant to them.
    similar_labels: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the project name is empty")
        return value

    @field_validator("label_phrase")
    @classmethod
    def _phrase_names_the_label(cls, value: str) -> str:
        value = " ".join(value.split())
        if value and "{label}" not in value:
            raise ValueError('the label phrase must contain {label}, e.g. whose topic is "{label}"')
        return value

    @model_validator(mode="after")
    def _labels_fit_kind(self) -> Project:
        labels = [label.strip() for label in self.labels if label.strip()]
        if len(set(labels)) != len(labels):
            raise ValueError("labels must be unique")
        if self.kind == ProjectKind.CLASSIFICATION and len(labels) < 2:
            raise ValueError("a classification project needs at least two labels")
        self.labels = labels
        # A label removed from the project leaves every list; a label is not similar to itself.
        similar = {}
        for label, others in self.similar_labels.items():
            kept = [o for o in dict.fromkeys(others) if o in labels and o != label]
            if label in labels and kept:
                similar[label] = kept[:MAX_SIMILAR]
        self.similar_labels = similar
        return self


class Instance(Strict):
    input: str = ""
    output: str


class SeedTask(Strict):
    id: int | None = None
    name: str = ""
    instruction: str
    instances: list[Instance] = Field(default_factory=list)
    is_classification: bool = False

    @field_validator("instruction")
    @classmethod
    def _instruction_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the instruction is empty")
        return value

    @field_validator("instances")
    @classmethod
    def _has_instance(cls, value: list[Instance]) -> list[Instance]:
        if not value:
            raise ValueError("a seed task needs at least one instance (input/output)")
        if any(not instance.output.strip() for instance in value):
            raise ValueError("every instance needs a non-empty output")
        return value

    def content_key(self) -> str:
        """What makes two tasks the same task: the instruction and its instances
        (not the name or position), so a re-import is recognised."""
        instances = [[i.input.strip(), i.output.strip()] for i in self.instances]
        return json.dumps([self.instruction, instances], ensure_ascii=False)


class AttributeValue(Strict):
    value: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)


class AttributeDimension(Strict):
    """One axis of variation for attributed prompts (AttrPrompt).

    `values` apply to every label; `per_label` (for example subtopics) replaces
    them for the labels it names.
    """

    id: int | None = None
    name: str = Field(min_length=1)
    description: str = ""
    values: list[AttributeValue] = Field(default_factory=list)
    per_label: dict[str, list[AttributeValue]] = Field(default_factory=dict)

    def values_for(self, label: str | None) -> list[AttributeValue]:
        """The values this dimension offers for `label` (per-label ones win)."""
        if label is not None and self.per_label.get(label):
            return self.per_label[label]
        return self.values


class CandidateStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Check(Strict):
    """The verdict of one automatic check; a failed check flags, it never deletes."""

    name: str
    passed: bool
    score: float | None = None
    detail: str = ""


class Usage(Strict):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Message(Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class Candidate(Strict):
    """A generated example waiting for (or past) human review.

    `content` holds instruction/input/output for instruction projects,
    text/label for classification projects, and numbered turns for a
    conversation (seedbed/conversations.py).
    """

    id: int | None = None
    project_id: int
    content: dict[str, str]
    edited_content: dict[str, str] | None = None
    method: str
    label: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    prompt: list[Message] = Field(default_factory=list)
    model: str = ""
    params: dict[str, float | int | str | bool | None] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    status: CandidateStatus = CandidateStatus.PENDING
    checks: list[Check] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    job_id: int | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    # Bumped by every decision: a decision states the version it saw (conflict check).
    version: int = 0
    # Where it came from, set by the generation engine and the method: the job
    # request that produced it, and e.g. {"parent_id": 12, "operation": "deepen"}.
    lineage: dict[str, Any] = Field(default_factory=dict)

    @property
    def final_content(self) -> dict[str, str]:
        """What a reviewer approved: the edited content when there is one."""
        return self.edited_content if self.edited_content is not None else self.content

    @property
    def text(self) -> str:
        """The final content as one string, for embeddings and similarity."""
        content = self.final_content
        if "text" in content:
            return content["text"]
        if conversations.is_conversation(content):
            return conversations.as_text(content)
        parts = [content.get(key, "") for key in ("instruction", "input", "output")]
        return "\n".join(part for part in parts if part)


class CandidateFilter(Strict):
    """Which candidates a page, an export or a measure looks at; empty means any.

    Every field narrows the selection; within a list field, any listed value matches.
    """

    statuses: list[CandidateStatus] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    failed_checks: list[str] = Field(default_factory=list)
    flagged: bool | None = None
    annotators: list[str] = Field(default_factory=list)
    job_ids: list[int] = Field(default_factory=list)
    text: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    # Rows a user ticked in a table (a bulk decision on just those).
    ids: list[int] = Field(default_factory=list)


ACCEPTED = CandidateFilter(statuses=[CandidateStatus.ACCEPTED])
PENDING = CandidateFilter(statuses=[CandidateStatus.PENDING])


class Review(Strict):
    """One row of a candidate's review history.

    An "undo" row reverses the decision `undoes_id` names; that decision is then
    marked `undone` and no longer counts. `version` is the candidate version the
    row produced.
    """

    id: int | None = None
    candidate_id: int
    decision: Literal["accepted", "rejected", "undo"]
    edited_content: dict[str, str] | None = None
    annotator: str = Field(min_length=1)
    created_at: datetime = Field(default_factory=utcnow)
    reason: str | None = None
    version: int | None = None
    undoes_id: int | None = None
    undone: bool = False
    automatic: bool = False  # made by an AI judge on its own (seedbed.review.auto)


class GenerationParams(Strict):
    """Sampling parameters handed to a backend (OpenAI names)."""

    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=0.9, gt=0, le=1)
    max_tokens: int = Field(default=256, ge=1, le=32_768)
    presence_penalty: float = Field(default=0.0, ge=-2, le=2)
    stop: list[str] = Field(default_factory=list)
