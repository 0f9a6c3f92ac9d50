"""A conversations job against the fake OpenAI server: N-turn chats stored, cut, exported whole."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from seedbed.conversations import cut
from seedbed.files.bundle import ExportOptions, export_to_path
from seedbed.files.formats import RECORD_MODELS
from seedbed.jobs import runner
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.llm.openai_backend import OpenAIBackend
from seedbed.models import ACCEPTED, CandidateFilter
from seedbed.review import curation
from seedbed.store.core import Store
from tests.engine_fakes import story_project
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer

EXCHANGES = 3
ANSWERS = [
    "Once a dragon guarded a quiet mountain village.",
    "Tides follow the moon twice each day along every coast.",
    "Violin makers carve spruce tops by hand and varnish them slowly.",
    "Glaciers grind valleys into broad U shapes over millennia.",
    "Children fly paper kites when spring winds arrive.",
    "Comets grow bright tails of gas near our sun.",
]
QUESTIONS = [
    "User: Could you make the dragon friendlier?",
    "Why does the moon matter here?",
    "What wood sounds best?",
    "How fast can ice move?",
]


def chat_reply() -> callable:
    """Distinct replies: the assistant (a system prompt first) answers, the simulator asks."""
    answers, questions = itertools.cycle(ANSWERS), itertools.cycle(QUESTIONS)

    def reply(messages: ChatMessages) -> str:
        return next(answers if messages[0]["role"] == "system" else questions)

    return reply


def test_a_job_grows_conversations_each_role_with_its_model_and_exports_every_turn(
    store: Store, tmp_path: Path
) -> None:
    project = story_project(store, "Chats")
    settings = JobSettings(
        method="conversation",
        n=2,
        options={"exchanges": EXCHANGES, "source": "seeds"},
        backend=BackendConfig(kind="openai", model="assistant-model"),
        stage_backends={"user": BackendConfig(kind="openai", model="simulator-model")},
    )
    with FakeOpenAIServer(reply=chat_reply()) as server:

        def make(config: BackendConfig, key: str | None) -> OpenAIBackend:
            return OpenAIBackend(config.model, api_key="test-key", base_url=server.base_url)

        job_id = runner.start_job(store, project, settings)
        job = runner.run_job(store, job_id, backend_factory=make)
        sent = [(r.body["model"], r.messages[0]["role"]) for r in server.chat_requests]

    assert (job.status, job.message) == (JobStatus.DONE, None)
    # Each conversation: EXCHANGES assistant turns, EXCHANGES - 1 simulated user turns.
    assert sent.count(("assistant-model", "system")) == 2 * EXCHANGES
    assert sent.count(("simulator-model", "user")) == 2 * (EXCHANGES - 1)
    assert len(sent) == 2 * (2 * EXCHANGES - 1)
    chats = list(store.iter_candidates(project.id, CandidateFilter(job_ids=[job_id])))
    assert len(chats) == 2
    for chat in chats:
        assert list(chat.content) == [
            f"{role}_{n}" for n in range(1, EXCHANGES + 1) for role in ("user", "assistant")
        ]
        assert chat.content["user_1"] == "Tell a story."
        assert chat.content["user_2"] in [q.removeprefix("User: ") for q in QUESTIONS]
        assert chat.method == "conversation" and chat.model == "assistant-model"
        assert all(check.passed for check in chat.checks), chat.checks

    whole, to_cut = chats
    curation.decide(store, whole, "accepted", "ana")
    curation.decide(store, to_cut, "accepted", "ana", cut(to_cut.final_content, 1))
    cut_one = store.get_candidate(to_cut.id)
    assert list(cut_one.final_content) == ["user_1", "assistant_1"]
    assert len(cut_one.content) == 2 * EXCHANGES  # the whole conversation stays the original

    out = tmp_path / "export"
    # Exact de-duplication on: conversations differ in their user turns, so both stay.
    options = ExportOptions(formats=["openai_chat", "sharegpt"], where=ACCEPTED, dedup="exact")
    export_to_path(store, project, options, out)
    turns_by_format = {}
    for fmt, key in (("openai_chat", "messages"), ("sharegpt", "conversations")):
        lines = (out / f"{fmt}.jsonl").read_text(encoding="utf-8").splitlines()
        for line in lines:
            RECORD_MODELS[fmt].model_validate_json(line)
        turns_by_format[fmt] = sorted(len(json.loads(line)[key]) for line in lines)
    assert turns_by_format == {"openai_chat": [2, 2 * EXCHANGES], "sharegpt": [2, 2 * EXCHANGES]}
    records = [json.loads(line) for line in (out / "openai_chat.jsonl").read_text().splitlines()]
    full = max(records, key=lambda record: len(record["messages"]))
    assert [m["role"] for m in full["messages"]] == ["user", "assistant"] * EXCHANGES
    assert [m["content"] for m in full["messages"]] == [
        text for _, text in sorted(whole.content.items(), key=lambda kv: _order(kv[0]))
    ]


def _order(key: str) -> tuple[int, int]:
    role, number = key.split("_")
    return int(number), 0 if role == "user" else 1
