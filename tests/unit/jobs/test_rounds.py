"""Jobs of the real methods reach their count over several rounds, or say why not.

Real models give fewer items than a prompt asks for, so a job needs more than
one planning round. Each job here runs against the fake OpenAI server with the
real openai client, the way a user runs one against a llama.cpp server.
"""

from __future__ import annotations

import itertools
import random

import pytest

from seedbed.jobs import requests as job_requests
from seedbed.jobs import runner
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.models import (
    AttributeDimension,
    AttributeValue,
    CandidateFilter,
    Instance,
    Project,
    ProjectKind,
    SeedTask,
)
from seedbed.store.core import Store
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer

_WORDS = (
    "harbour", "lantern", "meadow", "quartz", "violin", "saddle", "ember", "glacier",
    "orchard", "pebble", "walnut", "compass", "thimble", "falcon", "marble", "tundra",
    "velvet", "quiver", "anchor", "bramble", "cobalt", "dune", "fresco", "geyser", "hollow",
    "ivory", "jasper", "kettle", "lagoon", "mosaic", "nectar", "oyster", "prairie", "ribbon",
    "summit", "trellis", "umber", "vessel", "willow", "yarrow", "zephyr", "basalt", "cinder",
    "delta",
)  # fmt: skip


def fresh_tasks(count: int, rng: random.Random) -> str:
    """A numbered list of `count` tasks that share no content word (all pass novelty)."""
    lines = []
    for i in range(1, count + 1):
        words = " ".join(rng.sample(_WORDS, 5))
        lines.append(f"{i}. {words.capitalize()}.")
    return "\n".join(lines)


def self_instruct_reply(tasks_per_reply: int):
    rng = random.Random(7)
    counter = itertools.count(1)

    def reply(messages: ChatMessages) -> str:
        prompt = messages[-1]["content"]
        if prompt.startswith("Come up with a series of tasks"):
            return fresh_tasks(tasks_per_reply, rng)
        return f"Example 1\nInput: case {next(counter)}\nOutput: An answer."

    return reply


def instruction_project(store: Store) -> Project:
    project_id = store.create_project(Project(name="Tasks", kind=ProjectKind.INSTRUCTION))
    seeds = [
        SeedTask(instruction=f"Seed task {word} about writing.", instances=[Instance(output="x")])
        for word in ("alpha", "beta", "gamma")
    ]
    store.add_seed_tasks(project_id, seeds)
    return store.get_project(project_id)


def backend_for(server: FakeOpenAIServer):
    def make(config: BackendConfig, key: str | None) -> OpenAIBackend:
        return OpenAIBackend("fake-model", api_key="test-key", base_url=server.base_url)

    return make


def run_against(server: FakeOpenAIServer, store: Store, project: Project, settings: JobSettings):
    job_id = runner.start_job(store, project, settings)
    return runner.run_job(store, job_id, backend_factory=backend_for(server))


def stored(store: Store, project: Project, job_id: int) -> int:
    return store.count_candidates(project.id, CandidateFilter(job_ids=[job_id]))


def test_a_self_instruct_job_plans_rounds_until_it_has_its_count(store: Store) -> None:
    # Each instruction request yields 3 tasks of the 10 it is sized for, one instance each.
    project = instruction_project(store)
    settings = JobSettings(
        method="self_instruct", n=12, options={"classification": "never"}, max_rounds=10
    )
    with FakeOpenAIServer(reply=self_instruct_reply(3)) as server:
        job = run_against(server, store, project, settings)

    assert (job.status, job.message) == (JobStatus.DONE, None)
    assert stored(store, project, job.id) == 12
    assert job.rounds == 3  # 6 in round 1 (two requests), then 3 a round
    records = job_requests.round_yields(store, job.id)
    assert all(records.get(r) for r in range(1, job.rounds + 1))


def test_request_keys_are_unique_across_rounds_and_stable_across_a_resume(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = instruction_project(store)
    settings = JobSettings(
        method="self_instruct", n=9, seed=3, options={"classification": "never"}, max_rounds=10
    )
    real, calls = job_requests.complete_request, []

    def crash_in_round_two(*args, **kwargs):
        calls.append(1)
        if len(calls) == 7:  # round 1: 1 instruction request and 3 instance requests
            raise OSError("the disk went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(job_requests, "complete_request", crash_in_round_two)
    job_id = runner.start_job(store, project, settings)
    with FakeOpenAIServer(reply=self_instruct_reply(3)) as server:
        make = backend_for(server)
        with pytest.raises(OSError):
            runner.run_job(store, job_id, backend_factory=make)
        monkeypatch.setattr(job_requests, "complete_request", real)
        job = runner.run_job(store, job_id, backend_factory=make)

    assert job.status == JobStatus.DONE and stored(store, project, job.id) == 9
    rows = job_requests._requests(store, job.id, "done")
    firsts = [r.request.key for r in rows if r.request.key.endswith("/instructions/0")]
    assert firsts == ["r1/instructions/0", "r2/instructions/0", "r3/instructions/0"]
    sources = [c.lineage["job_request_id"] for c in store.iter_candidates(project.id)]
    assert len(sources) == len(set(sources)) == 9  # no request answered twice


def test_a_job_whose_rounds_yield_nothing_stops_and_names_them(store: Store) -> None:
    project = instruction_project(store)
    settings = JobSettings(method="self_instruct", n=5, options={"classification": "never"})
    # A preamble alone: the reply holds no task.
    with FakeOpenAIServer(reply=lambda messages: "Sure, here are more tasks:") as server:
        job = run_against(server, store, project, settings)

    # Every reply was unreadable, so every request failed and so did the job.
    assert job.status == JobStatus.FAILED
    assert (
        "0 of 5 candidates: stopped after 2 rounds in a row yielded nothing. "
        "No candidate came from rounds 1 and 2."
    ) in job.message
    assert job.rounds == 2


def news_project(store: Store) -> Project:
    project_id = store.create_project(
        Project(name="News", kind=ProjectKind.CLASSIFICATION, labels=["world", "sports"])
    )
    values = [AttributeValue(value="short"), AttributeValue(value="long")]
    store.replace_dimensions(project_id, [AttributeDimension(name="length", values=values)])
    return store.get_project(project_id)


@pytest.mark.parametrize("method", ["attrprompt", "class_conditional"])
def test_a_labelled_text_job_plans_rounds_past_replies_it_cannot_use(
    store: Store, method: str
) -> None:
    # Every other reply is empty: round 1 stores half, later rounds the rest.
    project = news_project(store)
    counter = itertools.count()

    def reply(messages: ChatMessages) -> str:
        n = next(counter)
        return "" if n % 2 else f"Article {n}: {' '.join(random.Random(n).sample(_WORDS, 8))}."

    settings = JobSettings(method=method, n=6, max_rounds=10)
    with FakeOpenAIServer(reply=reply) as server:
        job = run_against(server, store, project, settings)
    assert (job.status, job.message) == (JobStatus.DONE, None)
    assert stored(store, project, job.id) == 6
    assert job.rounds >= 2
