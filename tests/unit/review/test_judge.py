"""The AI judge: its exact prompt, lenient parsing, stored advisory scores."""

from __future__ import annotations

import pytest

from seedbed.errors import InputError
from seedbed.models import Candidate, CandidateStatus, Project
from seedbed.review import judge
from seedbed.store.core import Store
from tests.fakes import FakeBackend

RUBRIC = (
    "You review examples meant to train a language model. Rate the example below on\n"
    "three criteria, each a whole number from 1 (very poor) to 5 (excellent).\n\n"
)
ASK = (
    "\n\nReply with one JSON object and nothing else, for example:\n"
    '{"helpfulness": 4, "correctness": 5, "instruction_following": 3}'
)


@pytest.fixture
def project_id(store: Store) -> int:
    return store.create_project(Project(name="Judged"))


def instruction(project_id: int = 1, output: str = "Teal") -> Candidate:
    content = {"instruction": "Name a colour.", "input": "", "output": output}
    return Candidate(project_id=project_id, content=content, method="self_instruct")


def test_the_prompt_for_an_instruction_candidate_is_exact() -> None:
    [message] = judge.build_messages(instruction())
    assert message.role == "user"
    assert message.content == (
        RUBRIC + "- helpfulness: how useful the response is to someone who gave this instruction.\n"
        "- correctness: whether the response is accurate and free of errors.\n"
        "- instruction_following: whether the response does exactly what the instruction asks."
        "\n\nInstruction:\nName a colour.\n\nResponse:\nTeal" + ASK
    )


def test_a_conversation_is_judged_whole() -> None:
    content = {"user_1": "Name a river?", "assistant_1": "The Amazon.", "user_2": "How long?"}
    content["assistant_2"] = "About 6,400 km."
    [message] = judge.build_messages(
        Candidate(project_id=1, content=content, method="conversation")
    )
    assert message.content == (
        RUBRIC + "- helpfulness: how useful the assistant's replies are to this user.\n"
        "- correctness: whether the assistant's replies are accurate and free of errors.\n"
        "- instruction_following: whether each reply does exactly what the user's message "
        "before it asks.\n\nConversation:\n\nUser:\nName a river?\n\nAssistant:\nThe Amazon."
        "\n\nUser:\nHow long?\n\nAssistant:\nAbout 6,400 km." + ASK
    )


def test_the_prompt_for_a_labelled_text_names_label_and_attributes() -> None:
    candidate = Candidate(
        project_id=1,
        content={"text": "The match ended 2-1.", "label": "sports"},
        label="sports",
        attributes={"style": "brief"},
        method="attrprompt",
    )
    [message] = judge.build_messages(candidate)
    assert message.content == (
        RUBRIC
        + '- helpfulness: how useful the text is as a training example for the label "sports".\n'
        '- correctness: whether the label "sports" truly fits the text.\n'
        "- instruction_following: whether the text is the kind of item requested, "
        "with the requested attributes.\n\nText:\nThe match ended 2-1.\n\n"
        "Requested attributes:\n- style: brief" + ASK
    )


def test_the_judge_sees_the_edited_text() -> None:
    candidate = instruction()
    candidate.edited_content = {"instruction": "Name a colour.", "input": "", "output": "Olive"}
    assert "Response:\nOlive" in judge.build_messages(candidate)[0].content


@pytest.mark.parametrize(
    ("reply", "scores"),
    [
        ('{"helpfulness": 4, "correctness": 5, "instruction_following": 3}', (4, 5, 3)),
        (
            'Sure!\n```json\n{"Helpfulness": "2", "Correctness": 3, '
            '"Instruction-following": "4/5"}\n```',
            (2, 3, 4),
        ),
        ("Helpfulness: 4/5\nCorrectness - 2\nInstruction following: 5", (4, 2, 5)),
        ('{"helpfulness": 3}\ncorrectness: 4, following: 1', (3, 4, 1)),
    ],
)
def test_replies_in_common_shapes_parse(reply: str, scores: tuple[int, int, int]) -> None:
    assert tuple(judge.parse_scores(reply).values()) == scores


@pytest.mark.parametrize(
    ("reply", "missing"),
    [
        ("This example is great, I love it.", "helpfulness, correctness, instruction_following"),
        ('{"helpfulness": 9, "correctness": 4, "instruction_following": 4}', "helpfulness"),
        ("Helpfulness: 8/10, correctness: 4, following: 4", "helpfulness"),
        ('{"helpfulness": 4, "correctness": 5', "instruction_following"),
        ("", "helpfulness, correctness, instruction_following"),
    ],
)
def test_garbage_is_reported_not_guessed(reply: str, missing: str) -> None:
    with pytest.raises(ValueError, match=f"could not parse a 1-5 score for {missing}"):
        judge.parse_scores(reply)


def test_scores_are_stored_and_the_status_never_changes(store: Store, project_id: int) -> None:
    ids = [store.add_candidate(instruction(project_id, output)) for output in ("Teal", "x", "y")]
    backend = FakeBackend().enqueue(
        '{"helpfulness": 5, "correctness": 4, "instruction_following": 3}',
        "I would rather not say.",
        None,  # the request fails
    )
    candidates = judge.unscored_pending(store, project_id, limit=10, model="fake-model")
    results = judge.judge_candidates(store, backend, candidates)
    assert [r.candidate_id for r in results] == ids
    stored = {i: only for i, [only] in judge.results_for(store, ids).items()}
    assert stored[ids[0]].scores == {
        "helpfulness": 5.0,
        "correctness": 4.0,
        "instruction_following": 3.0,
    }
    assert stored[ids[0]].overall == pytest.approx(4.0)
    assert stored[ids[1]].error.startswith("could not parse a 1-5 score")
    assert stored[ids[1]].overall is None and stored[ids[1]].reply == "I would rather not say."
    assert stored[ids[2]].error == "the judge request failed: fake failure"
    assert all(store.get_candidate(i).status == CandidateStatus.PENDING for i in ids)
    assert judge.unscored_pending(store, project_id, limit=10, model="fake-model") == []
    assert backend.calls[0][1].temperature == 0.0
    # A second judge has scored none of them yet.
    assert len(judge.unscored_pending(store, project_id, limit=10, model="other")) == 3


def test_scoring_again_replaces_the_old_result(store: Store, project_id: int) -> None:
    candidate_id = store.add_candidate(instruction(project_id))
    candidate = store.get_candidate(candidate_id)
    judge.judge_candidates(store, FakeBackend().enqueue("nonsense"), [candidate])
    good = '{"helpfulness": 2, "correctness": 2, "instruction_following": 2}'
    judge.judge_candidates(store, FakeBackend().enqueue(good), [candidate])
    [result] = judge.results_for(store, [candidate_id])[candidate_id]
    assert result.error is None and result.overall == 2.0


class NamedBackend(FakeBackend):
    """A fake server that answers with a dated variant of the model asked for."""

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model


def test_two_judges_keep_their_own_scores_and_their_disagreement_shows(
    store: Store, project_id: int
) -> None:
    candidate_id = store.add_candidate(instruction(project_id))
    candidate = store.get_candidate(candidate_id)
    high = '{"helpfulness": 5, "correctness": 4, "instruction_following": 4}'
    low = '{"helpfulness": 3, "correctness": 3, "instruction_following": 3}'
    judge.judge_candidates(store, NamedBackend("judge-a").enqueue(high), [candidate])
    judge.judge_candidates(store, NamedBackend("judge-b").enqueue(low), [candidate])
    results = judge.results_for(store, [candidate_id])[candidate_id]
    assert [(r.model, r.overall) for r in results] == [
        ("judge-a", pytest.approx(13 / 3)),
        ("judge-b", 3.0),
    ]
    assert judge.judges(store, project_id) == ["judge-a", "judge-b"]
    assert judge.disagree(results, accept_at=3.5)  # 4.33 accepts, 3.0 rejects
    assert not judge.disagree(results, accept_at=3.0)  # both accept from 3
    assert judge.verdict(3.5, 3.5) == "accepted" and judge.verdict(3.49, 3.5) == "rejected"


def test_judge_settings_are_kept_and_checked(store: Store, project_id: int) -> None:
    assert judge.settings(store, project_id) == judge.JudgeSettings(3.5, None)
    judge.save_settings(store, project_id, judge.JudgeSettings(4.0, 0.8))
    assert judge.settings(store, project_id) == judge.JudgeSettings(4.0, 0.8)
    with pytest.raises(InputError, match="score from 1 to 5"):
        judge.save_settings(store, project_id, judge.JudgeSettings(6.0, None))
    with pytest.raises(InputError, match="above 0 and at most 1"):
        judge.save_settings(store, project_id, judge.JudgeSettings(4.0, 0.0))
    judge.save_settings(store, project_id, judge.JudgeSettings(4.0, None))
    assert judge.settings(store, project_id).auto_kappa is None
