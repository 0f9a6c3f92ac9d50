"""Replies cut at their token limit: every candidate of one says so, and a cut last item goes.

Each job runs against the fake OpenAI server, which reports finish_reason
"length" for a reply of at least max_tokens words, as a real server does.
"""

from __future__ import annotations

from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    Project,
    ProjectKind,
)
from seedbed.store.core import Store
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer
from tests.unit.jobs.test_rounds import instruction_project, run_against

TASKS = [
    "Name a bird that lives near the harbour.",
    "Describe the smell of a quartz meadow.",
    "Explain why violins need a saddle.",
    "Summarise the history of glacier orchards.",
]
INSTANCES = (
    "Example 1\nInput: case one\nOutput: An answer.\nExample 2\nInput: case two\nOutput: Ano"
)


def self_instruct_reply(messages: ChatMessages) -> str:
    if messages[-1]["content"].startswith("Come up with a series of tasks"):
        return "\n".join(f"{i}. {task}" for i, task in enumerate(TASKS, start=1))
    return INSTANCES


def words(text: str) -> int:
    return len(text.split())


def test_a_cut_self_instruct_reply_loses_its_last_task_and_its_last_instance(
    store: Store,
) -> None:
    project = instruction_project(store)
    instruction_reply = self_instruct_reply([{"content": "Come up with a series of tasks"}])
    options = {
        "classification": "never",
        # Each reply just fills its limit: the server says both were cut.
        "params": {
            "instructions": {"max_tokens": words(instruction_reply)},
            "instances": {"max_tokens": words(INSTANCES)},
        },
    }
    settings = JobSettings(method="self_instruct", n=3, options=options, max_rounds=1)
    with FakeOpenAIServer(reply=self_instruct_reply) as server:
        job = run_against(server, store, project, settings)

    assert job.status == JobStatus.DONE
    candidates = list(store.iter_candidates(project.id))
    assert sorted(c.content["instruction"] for c in candidates) == sorted(TASKS[:3])
    assert [c.content["input"] for c in candidates] == ["case one"] * 3  # "case two" was cut
    for candidate in candidates:
        [cut] = [c for c in candidate.checks if c.name == "truncated"]
        assert cut.passed and "cut last item was dropped" in cut.detail


def news_project(store: Store, length: str) -> Project:
    project_id = store.create_project(
        Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["world", "sports"])
    )
    dimension = AttributeDimension(name="length", values=[AttributeValue(value=length)])
    store.replace_dimensions(project_id, [dimension])
    return store.get_project(project_id)


def test_a_cut_attrprompt_text_is_flagged_truncated(store: Store) -> None:
    project = news_project(store, "about 20 words")
    text = "Rain fell on the capital for the third day as rivers rose past their banks"
    options = {"params": {"item": {"max_tokens": words(text)}}, "length_margin": 0}
    settings = JobSettings(method="attrprompt", n=2, options=options, max_rounds=1)
    with FakeOpenAIServer(
        replies=[text, "A short complete article."], reply=lambda m: "x"
    ) as server:
        job = run_against(server, store, project, settings)

    assert job.status == JobStatus.DONE
    by_text = {c.content["text"]: c for c in store.iter_candidates(project.id)}
    [cut] = [c for c in by_text[text].checks if c.name == "truncated"]
    assert not cut.passed and "token limit" in cut.detail
    assert "truncated" not in [c.name for c in by_text["A short complete article."].checks]


def test_attrprompt_sizes_max_tokens_from_the_requested_length(store: Store) -> None:
    project = news_project(store, "about 400 words")
    settings = JobSettings(method="attrprompt", n=1, max_rounds=1)
    with FakeOpenAIServer(reply=lambda m: "An article.") as server:
        run_against(server, store, project, settings)
        [request] = server.chat_requests
    assert request.body["max_tokens"] == 840  # 400 words x 1.4 tokens x the 1.5 margin
