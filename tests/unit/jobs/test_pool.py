"""The novelty pool a job checks new items against, and what a job stores of empty replies.

The pool (seedbed/jobs/context.py POOL_RULE) holds seeds, accepted candidates and
pending ones whose instruction checks passed: never a rejected candidate, never a
draft that failed the instruction checks.
"""

from __future__ import annotations

import itertools

from seedbed.jobs import runner
from seedbed.jobs.context import POOL_RULE, pool_texts
from seedbed.jobs.state import JobSettings
from seedbed.models import PENDING, Candidate, CandidateFilter, CandidateStatus, Check, Project
from seedbed.review import curation
from seedbed.store.core import Store
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer
from tests.unit.jobs.test_rounds import backend_for, instruction_project

HARBOUR = "Describe the old harbour at dawn with fishing boats."
BLOCKED = "Draw a picture of the old harbour at dawn with fishing boats."


def add(store: Store, project: Project, instruction: str, status: str, *checks: Check) -> int:
    content = {"instruction": instruction, "input": "", "output": "Some answer."}
    return store.add_candidate(
        Candidate(
            project_id=project.id,
            content=content,
            method="self_instruct",
            status=status,
            checks=list(checks),
        )
    )


def test_the_pool_is_seeds_accepted_and_pending_items_that_passed(store: Store) -> None:
    project = instruction_project(store)
    add(store, project, "Accepted task.", "accepted", Check(name="novelty", passed=False))
    add(store, project, "Pending good task.", "pending", Check(name="novelty", passed=True))
    add(store, project, "Pending flagged task.", "pending", Check(name="blocklist", passed=False))
    add(
        store, project, "Pending, empty answer.", "pending", Check(name="empty_field", passed=False)
    )
    add(store, project, "Rejected task.", "rejected", Check(name="novelty", passed=True))
    assert list(pool_texts(store, project)) == [
        "Seed task alpha about writing.",
        "Seed task beta about writing.",
        "Seed task gamma about writing.",
        "Accepted task.",
        "Pending good task.",
        "Pending, empty answer.",
    ]
    assert "never rejected ones" in POOL_RULE


def one_task_per_request(*tasks: str):
    """Instruction requests get `tasks` one at a time; instance requests one instance."""
    queue = iter(tasks)
    counter = itertools.count(1)

    def reply(messages: ChatMessages) -> str:
        if messages[-1]["content"].startswith("Come up with a series of tasks"):
            return f"1. {next(queue)}"
        return f"Example 1\nInput: case {next(counter)}\nOutput: An answer."

    return reply


def check_of(store: Store, project: Project, instruction: str, name: str = "novelty") -> Check:
    """The named check of the pending candidate with `instruction`."""
    pending = store.iter_candidates(project.id, PENDING)
    found = next(c for c in pending if c.content["instruction"] == instruction)
    return next(check for check in found.checks if check.name == name)


def run_self_instruct(store: Store, project: Project, n: int, reply) -> int:
    settings = JobSettings(
        method="self_instruct",
        n=n,
        concurrency=1,
        options={"classification": "never", "drafts_per_request": 1},
    )
    job_id = runner.start_job(store, project, settings)
    with FakeOpenAIServer(reply=reply) as server:
        runner.run_job(store, job_id, backend_factory=backend_for(server))
    return job_id


def test_a_blocklisted_draft_does_not_make_a_later_variant_not_novel(store: Store) -> None:
    project = instruction_project(store)
    run_self_instruct(store, project, 2, one_task_per_request(BLOCKED, HARBOUR))
    assert not check_of(store, project, BLOCKED, "blocklist").passed
    assert check_of(store, project, HARBOUR).passed


def test_a_new_job_compares_with_earlier_pending_items_but_not_rejected_ones(
    store: Store,
) -> None:
    project = instruction_project(store)
    first = run_self_instruct(store, project, 1, one_task_per_request(HARBOUR))
    variant = "Describe the old harbour at dawn with fishing boats and gulls."
    second = run_self_instruct(store, project, 1, one_task_per_request(variant))
    check = check_of(store, project, variant)
    assert not check.passed and check.detail == f"closest: {HARBOUR}"

    for candidate in store.iter_candidates(project.id, CandidateFilter(job_ids=[first, second])):
        curation.decide(store, candidate, CandidateStatus.REJECTED, "ana")
    run_self_instruct(store, project, 1, one_task_per_request(variant))
    assert check_of(store, project, variant).passed


def test_an_empty_output_is_stored_flagged(store: Store) -> None:
    project = instruction_project(store)
    reply = one_task_per_request(HARBOUR)

    def empty_instances(messages: ChatMessages) -> str:
        text = reply(messages)
        return text if text.startswith("1.") else "Example 1\nInput: a case\nOutput:"

    job_id = run_self_instruct(store, project, 1, empty_instances)
    [candidate] = store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id]))
    assert candidate.content["output"] == ""
    flagged = [check for check in candidate.checks if not check.passed]
    assert [check.name for check in flagged] == ["instance_empty_output", "empty_field"]
    assert flagged[-1].detail == "empty: output"


def test_a_repeated_task_is_flagged_as_a_duplicate_naming_the_pool_text(store: Store) -> None:
    project = instruction_project(store)
    run_self_instruct(store, project, 1, one_task_per_request(HARBOUR))
    assert check_of(store, project, HARBOUR, "minhash_duplicate").passed
    variant = "Describe the old harbour at dawn with fishing boats and seagulls."
    run_self_instruct(store, project, 1, one_task_per_request(variant))
    check = check_of(store, project, variant, "minhash_duplicate")
    assert not check.passed and check.detail.endswith(HARBOUR)
    assert "Jaccard" in check.detail
