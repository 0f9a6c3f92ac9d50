"""Generation runs end to end with a fake backend: what gets stored, and what does not."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from seedbed.llm.base import BackendError
from seedbed.methods import attrprompt, self_instruct
from seedbed.models import (
    CandidateStatus,
    Instance,
    Message,
    Project,
    Review,
    SeedTask,
)
from seedbed.runner import (
    available_methods,
    instruction_pool,
    plan_requests,
    run_generation,
)
from seedbed.store import Store
from tests.fakes import FakeBackend

INSTRUCTIONS = "General instruction tuning"
NEWS = "News topic classification"


def project_named(store: Store, name: str) -> Project:
    return next(p for p in store.list_projects() if p.name == name)


def stored(store: Store, project: Project):
    return list(store.iter_candidates(project.id))


def small_project(store: Store, seeds: Sequence[str]) -> Project:
    project_id = store.create_project(Project(name="Small"))
    store.add_seed_tasks(
        project_id, [SeedTask(instruction=s, instances=[Instance(output="ok")]) for s in seeds]
    )
    return store.get_project(project_id)


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []

    def __call__(self, done: int, total: int, what: str) -> None:
        self.calls.append((done, total, what))


def news_reply(messages: Sequence[Message]) -> str:
    """A chatty, attribute-aware article, different for every request."""
    prompt = messages[-1].content
    topic = prompt.split('topic is "')[1].split('"')[0]
    return f'Sure! Here is a news article:\n\n"Story {next(_story)} about {topic} today."'


_story = itertools.count(1)


# -- Self-Instruct --------------------------------------------------------------------


def test_self_instruct_run_stores_answered_pending_candidates(demo_store: Store) -> None:
    project = project_named(demo_store, INSTRUCTIONS)
    backend = FakeBackend().enqueue(
        "Write a limerick about a sleepy cat.\n"
        "10. List three uses for baking soda.\n"
        "11. Explain what a leap year is.",
        "There once was a cat who would nap.",
        "\n Cleaning, baking and deodorising. \n",
    )
    progress = Progress()

    report = run_generation(
        demo_store, backend, project, self_instruct.METHOD, n=2, seed=1, on_progress=progress
    )

    assert (report.failed, report.errors, report.notes) == (0, [], [])
    candidates = stored(demo_store, project)
    assert [c.id for c in candidates] == report.candidate_ids
    assert [c.content for c in candidates] == [
        {
            "instruction": "Write a limerick about a sleepy cat.",
            "input": "",
            "output": "There once was a cat who would nap.",
        },
        {
            "instruction": "List three uses for baking soda.",
            "input": "",
            "output": "Cleaning, baking and deodorising.",
        },
    ]
    first_prompt, first_params = backend.calls[0]
    for candidate in candidates:
        assert candidate.status == CandidateStatus.PENDING
        assert candidate.method == "self_instruct"
        assert candidate.model == "fake-model"
        assert candidate.prompt == first_prompt
        assert candidate.params == {
            "temperature": 0.7,
            "top_p": 0.5,
            "max_tokens": 256,
            "presence_penalty": 2.0,
            "backend": "fake",
        }
        assert [c.name for c in candidate.checks] == ["novelty", "length", "refusal"]
        assert all(c.passed for c in candidate.checks)
    # The shared first-stage request counts once (on the first candidate), plus
    # each candidate's own answer: the sums equal what the run spent (10 + 5 a call).
    usages = [(c.usage.prompt_tokens, c.usage.completion_tokens) for c in candidates]
    assert usages == [(20, 10), (10, 5)]
    assert sum(p for p, _ in usages) == 10 * len(backend.calls)
    # The first stage is the paper's sampling, with the in-context list and the stop.
    assert first_params == self_instruct.DEFAULT_PARAMS
    prompt_text = first_prompt[0].content
    assert prompt_text.startswith("Come up with a series of tasks:\n1. ")
    assert prompt_text.endswith("\n9.")
    seeds = {t.instruction for t in demo_store.list_seed_tasks(project.id)}
    shown = [line.split(". ", 1)[1] for line in prompt_text.splitlines()[1:-1]]
    assert len(shown) == 8 and set(shown) <= {" ".join(s.split()) for s in seeds}
    # The second stage answers each new instruction at temperature 0.
    assert len(backend.calls) == 3
    for (messages, params), candidate in zip(backend.calls[1:], candidates, strict=True):
        assert params.temperature == 0
        assert messages == [Message(role="user", content=candidate.content["instruction"])]
    assert progress.calls[-1][0] == progress.calls[-1][1] == 3
    assert [done for done, _, _ in progress.calls] == [1, 2, 3]


def test_in_context_and_known_instructions_are_not_stored_as_new(store: Store) -> None:
    seeds = [f"Seed task number {i} for the pool." for i in range(10)]
    project = small_project(store, seeds)

    def echo_everything(messages: Sequence[Message]) -> str:
        prompt = messages[0].content
        if prompt.startswith("Come up with"):
            fragment = prompt.splitlines()[1].split(". ", 1)[1].removesuffix(" for the pool.")
            lines = [f"{i}. {text}" for i, text in enumerate(seeds, start=1)]
            return "\n".join([*lines, "11. Name a planet with rings.", f"12. {fragment}"])
        return "An answer."

    report = run_generation(store, FakeBackend(echo_everything), project, "self_instruct", n=4)

    # Seeds shown in the prompt, seeds in the pool but not shown, and a fragment of a
    # shown instruction are all dropped; only the genuinely new one is kept.
    assert [c.content["instruction"] for c in stored(store, project)] == [
        "Name a planet with rings."
    ]
    assert report.notes == ["The model proposed 1 usable new items of 4."]


def test_accepted_machine_instructions_join_the_pool(store: Store) -> None:
    project = small_project(store, ["Add two numbers together."])
    first = run_generation(
        store,
        FakeBackend().enqueue("Describe a rainbow to a child.", "It is colourful."),
        project,
        "self_instruct",
        n=1,
    )
    store.record_review(
        Review(candidate_id=first.candidate_ids[0], decision="accepted", annotator="a")
    )
    assert instruction_pool(store, project.id) == (
        ["Add two numbers together."],
        ["Describe a rainbow to a child."],
    )

    backend = FakeBackend().enqueue("Describe a rainbow to a child.\n3. Name a fruit.", "Apple.")
    run_generation(store, backend, project, "self_instruct", n=1)

    assert "2. Describe a rainbow to a child." in backend.calls[0][0][0].content
    instructions = [c.content["instruction"] for c in stored(store, project)]
    assert instructions == ["Describe a rainbow to a child.", "Name a fruit."]


def test_the_same_new_instruction_from_two_requests_is_stored_once(store: Store) -> None:
    project = small_project(store, ["Add two numbers together."])
    backend = FakeBackend().enqueue(
        "Name a planet.\n3. Name a river.",
        "Name a planet.\n3. Name a mountain.",
    )
    backend.reply = lambda messages: "An answer."

    report = run_generation(store, backend, project, "self_instruct", n=8)

    instructions = [c.content["instruction"] for c in stored(store, project)]
    assert instructions == ["Name a planet.", "Name a river.", "Name a mountain."]
    assert report.failed == 0


def test_a_reply_without_items_is_a_failure_with_a_reason(store: Store) -> None:
    project = small_project(store, ["Add two numbers together."])
    progress = Progress()
    report = run_generation(
        store,
        FakeBackend().enqueue("Here are some more tasks:"),
        project,
        "self_instruct",
        n=2,
        on_progress=progress,
    )
    assert report.failed == 1
    assert report.errors == ["The reply held no new numbered instruction."]
    assert report.notes == ["The model proposed 0 usable new items of 2."]
    assert report.candidate_ids == []
    assert progress.calls[-1][:2] == (1, 1)


def test_an_empty_answer_is_a_failure_not_a_candidate(store: Store) -> None:
    project = small_project(store, ["Add two numbers together."])
    backend = FakeBackend().enqueue("Name a planet.\n3. Name a river.", "  \n", "The Nile.")
    report = run_generation(store, backend, project, "self_instruct", n=2)

    assert report.failed == 1
    assert report.errors == ["The reply was empty."]
    assert [c.content["output"] for c in stored(store, project)] == ["The Nile."]


def test_a_refusing_answer_is_stored_but_flagged(store: Store) -> None:
    project = small_project(store, ["Add two numbers together."])
    backend = FakeBackend().enqueue("Write a rude joke about my boss.", "I'm sorry, I cannot.")
    run_generation(store, backend, project, "self_instruct", n=1)
    [candidate] = stored(store, project)
    checks = {c.name: c for c in candidate.checks}
    assert not checks["refusal"].passed
    assert candidate.status == CandidateStatus.PENDING


# -- AttrPrompt -----------------------------------------------------------------------


def test_attrprompt_run_cycles_labels_and_stores_attributes(demo_store: Store) -> None:
    project = project_named(demo_store, NEWS)
    dimensions = {d.name: d for d in demo_store.list_dimensions(project.id)}
    backend = FakeBackend(news_reply)
    progress = Progress()

    report = run_generation(
        demo_store, backend, project, attrprompt.METHOD, n=7, seed=3, on_progress=progress
    )

    assert report.failed == 0
    candidates = stored(demo_store, project)
    labels = project.labels
    expected_labels = [labels[i % len(labels)] for i in range(7)]
    assert [c.label for c in candidates] == expected_labels
    for candidate, (messages, params) in zip(candidates, backend.calls, strict=True):
        label = candidate.label
        assert candidate.content["label"] == label
        assert candidate.content["text"].startswith("Story ")
        assert candidate.content["text"].endswith(f"about {label} today.")
        assert list(candidate.attributes) == ["length", "style", "subtopic", "location"]
        subtopics = {v.value for v in dimensions["subtopic"].values_for(label)}
        assert candidate.attributes["subtopic"] in subtopics
        assert f'whose topic is "{label}"' in messages[0].content
        for value in candidate.attributes.values():
            assert value in messages[0].content
        assert candidate.prompt == messages
        assert params == attrprompt.DEFAULT_PARAMS
        assert candidate.method == "attrprompt"
        assert candidate.status == CandidateStatus.PENDING
        assert (candidate.usage.prompt_tokens, candidate.usage.completion_tokens) == (10, 5)
        assert candidate.params["temperature"] == 1.0
    assert len(backend.calls) == 7  # no answer stage for classification
    assert progress.calls[-1][:2] == (7, 7)


def test_a_failed_request_is_counted_and_the_run_goes_on(demo_store: Store) -> None:
    project = project_named(demo_store, NEWS)
    backend = FakeBackend(news_reply).enqueue(None)
    progress = Progress()

    report = run_generation(
        demo_store, backend, project, attrprompt.METHOD, n=5, on_progress=progress
    )

    assert report.failed == 1
    assert report.errors == ["fake failure"]
    assert len(report.candidate_ids) == 4
    assert [c.label for c in stored(demo_store, project)] == project.labels[1:5]
    assert progress.calls[-1][:2] == (5, 5)


def test_an_empty_attrprompt_reply_is_a_failure(demo_store: Store) -> None:
    project = project_named(demo_store, NEWS)
    backend = FakeBackend(news_reply).enqueue("Sure! Here is the article:\n")
    report = run_generation(demo_store, backend, project, attrprompt.METHOD, n=2)
    assert report.errors == ["The reply was empty."]
    assert len(report.candidate_ids) == 1


def test_backend_error_mid_run_keeps_earlier_candidates(demo_store: Store) -> None:
    project = project_named(demo_store, NEWS)
    backend = FakeBackend().enqueue(
        "Markets rose in Lagos today after a long week.",
        "The council approved a new budget on Monday.",
        BackendError("The server rejected the API key."),
    )

    with pytest.raises(BackendError, match="rejected the API key"):
        run_generation(demo_store, backend, project, attrprompt.METHOD, n=5)

    assert demo_store.count_by_status(project.id)["pending"] == 2
    texts = [c.content["text"] for c in stored(demo_store, project)]
    assert texts == [
        "Markets rose in Lagos today after a long week.",
        "The council approved a new budget on Monday.",
    ]


def test_backend_error_in_the_answer_stage_keeps_answered_candidates(store: Store) -> None:
    project = small_project(store, ["Add two numbers together."])
    backend = FakeBackend().enqueue(
        "Name a planet.\n3. Name a river.", "Saturn.", BackendError("Server went away.")
    )
    with pytest.raises(BackendError):
        run_generation(store, backend, project, "self_instruct", n=2)
    assert [c.content["output"] for c in stored(store, project)] == ["Saturn."]


def test_a_repeat_within_a_run_is_flagged_not_dropped(demo_store: Store) -> None:
    project = project_named(demo_store, NEWS)
    text = "A new stadium opened in Dakar on Saturday with a derby."
    backend = FakeBackend().enqueue(text, text)
    run_generation(demo_store, backend, project, attrprompt.METHOD, n=2)

    first, second = stored(demo_store, project)
    novelty = [next(c for c in cand.checks if c.name == "novelty") for cand in (first, second)]
    assert novelty[0].passed
    assert not novelty[1].passed
    assert novelty[1].score == 1.0
    assert novelty[1].detail == f"closest: {text}"


# -- planning -------------------------------------------------------------------------


def test_plans_are_deterministic_for_a_seed(demo_store: Store) -> None:
    news = project_named(demo_store, NEWS)
    tasks = project_named(demo_store, INSTRUCTIONS)
    for project, method in ((news, "attrprompt"), (tasks, "self_instruct")):
        first = plan_requests(demo_store, project, method, 8, seed=11)
        again = plan_requests(demo_store, project, method, 8, seed=11)
        other = plan_requests(demo_store, project, method, 8, seed=12)
        assert [p.messages for p in first] == [p.messages for p in again]
        assert [p.messages for p in first] != [p.messages for p in other]
    # Self-Instruct asks for about four new instructions per request.
    assert len(plan_requests(demo_store, tasks, "self_instruct", 9, seed=0)) == 3


def test_available_methods_follow_the_project(demo_store: Store) -> None:
    assert list(available_methods(demo_store, project_named(demo_store, NEWS))) == ["attrprompt"]
    tasks = project_named(demo_store, INSTRUCTIONS)
    assert list(available_methods(demo_store, tasks)) == ["self_instruct"]


def test_plan_errors_are_readable(store: Store) -> None:
    empty = store.get_project(store.create_project(Project(name="Empty")))
    with pytest.raises(ValueError, match="needs at least one seed task"):
        plan_requests(store, empty, "self_instruct", 4, seed=0)
    with pytest.raises(ValueError, match="Unknown method 'magic'"):
        plan_requests(store, empty, "magic", 4, seed=0)
