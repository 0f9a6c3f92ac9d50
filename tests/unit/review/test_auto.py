"""Auto-decisions: refused until the judge is measured to agree with people; then only
what it is sure of, each marked as automatic and never counted as a human decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seedbed.errors import AutoDecisionRefused
from seedbed.models import Candidate, CandidateStatus, Check, Project
from seedbed.review import agreement, auto, curation, judge
from seedbed.store.core import Store

A, R = "accepted", "rejected"


@pytest.fixture
def store(every_store: Store) -> Store:
    return every_store


@pytest.fixture
def project_id(store: Store) -> int:
    return store.create_project(Project(name="Auto"))


def add(store: Store, project_id: int, checks: list[Check] | None = None) -> int:
    content = {"instruction": "Name a colour.", "input": "", "output": "Teal"}
    return store.add_candidate(
        Candidate(
            project_id=project_id, content=content, method="self_instruct", checks=checks or []
        )
    )


def score(store: Store, project_id: int, candidate_id: int, overall: float, model: str = "j"):
    scores = dict.fromkeys(judge.CRITERIA, overall)
    judge.save_result(store, project_id, judge.JudgeResult(candidate_id, scores, model=model))


def measured(store: Store, project_id: int, count: int, wrong: int = 0) -> None:
    """`count` candidates people decided and the judge scored; `wrong` of them it gets wrong."""
    for n in range(count):
        candidate_id = add(store, project_id)
        decision = A if n % 2 else R
        curation.decide(store, store.get_candidate(candidate_id), decision, "ana")
        right = 5.0 if decision == A else 1.0
        score(store, project_id, candidate_id, (6.0 - right) if n < wrong else right)


def test_auto_decisions_are_refused_while_off_unmeasured_or_below_the_kappa(
    store, project_id
) -> None:
    measured(store, project_id, auto.MIN_MEASURED - 1)
    with pytest.raises(AutoDecisionRefused, match="off for this project"):
        auto.auto_decide(store, project_id, "j")
    judge.save_settings(store, project_id, judge.JudgeSettings(3.5, 0.8))
    with pytest.raises(AutoDecisionRefused, match="measured against people on 19 candidates"):
        auto.auto_decide(store, project_id, "j")
    measured(store, project_id, 1)
    assert auto.permission(store, project_id, "j") == (pytest.approx(1.0), 20)
    with pytest.raises(AutoDecisionRefused, match="against people on 0 candidates"):
        auto.permission(store, project_id, "another-judge")


def test_a_judge_below_the_level_may_not_decide(store, project_id) -> None:
    judge.save_settings(store, project_id, judge.JudgeSettings(3.5, 0.8))
    measured(store, project_id, 20, wrong=2)  # p_o 0.9, p_e 0.5: kappa 0.8
    assert auto.permission(store, project_id, "j")[0] == pytest.approx(0.8)
    judge.save_settings(store, project_id, judge.JudgeSettings(3.5, 0.85))
    with pytest.raises(AutoDecisionRefused, match=r"kappa of 0\.80 on 20 candidates, below"):
        auto.auto_decide(store, project_id, "j")


def test_only_sure_undisputed_clean_free_candidates_are_decided_and_say_so(
    store, project_id
) -> None:
    judge.save_settings(store, project_id, judge.JudgeSettings(3.5, 0.8))
    measured(store, project_id, 20)
    sure_accept, sure_reject, unsure, disputed, claimed = (add(store, project_id) for _ in range(5))
    for candidate_id, overall in (
        (sure_accept, 4.5),  # exactly SURE_MARGIN above 3.5
        (sure_reject, 2.5),
        (unsure, 4.0),
        (disputed, 5.0),
        (claimed, 5.0),
    ):
        score(store, project_id, candidate_id, overall)
    score(store, project_id, disputed, 2.0, model="k")
    curation.claim(store, claimed, project_id, "someone's tab", "ben", ttl=timedelta(minutes=5))
    unscored = add(store, project_id)

    outcome = auto.auto_decide(store, project_id, "j")

    assert (outcome.accepted, outcome.rejected) == (1, 1)
    assert outcome.kappa == pytest.approx(1.0) and outcome.measured == 20
    status = {i: store.get_candidate(i).status for i in (sure_accept, sure_reject)}
    assert status == {sure_accept: CandidateStatus.ACCEPTED, sure_reject: CandidateStatus.REJECTED}
    for left in (unsure, disputed, claimed, unscored):
        assert store.get_candidate(left).status == CandidateStatus.PENDING
    [review] = store.list_reviews(sure_accept)
    assert review.automatic and review.annotator == "AI judge j (automatic)"
    assert "kappa against people is 1.00 on 20 candidates" in review.reason
    assert store.get_candidate(sure_accept).reviewed_by == "AI judge j (automatic)"
    # Automatic decisions are not people's: the judge is still measured on 20.
    assert agreement.judge_vs_human(store, project_id, "j", 3.5)["items"] == 20
    assert outcome.left == 3  # unsure, disputed, and the one someone has open


def test_a_flagged_candidate_is_never_accepted_alone(store, project_id) -> None:
    judge.save_settings(store, project_id, judge.JudgeSettings(3.5, 0.8))
    measured(store, project_id, 20)
    cut = Check(name="truncated", passed=False, detail="the reply was cut at its token limit")
    flagged_good = add(store, project_id, checks=[cut])
    flagged_bad = add(store, project_id, checks=[cut])
    score(store, project_id, flagged_good, 5.0)
    score(store, project_id, flagged_bad, 1.0)

    outcome = auto.auto_decide(store, project_id, "j")

    assert (outcome.accepted, outcome.rejected, outcome.left) == (0, 1, 1)
    assert store.get_candidate(flagged_good).status == CandidateStatus.PENDING
    assert store.get_candidate(flagged_bad).status == CandidateStatus.REJECTED
