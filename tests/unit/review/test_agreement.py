"""Judges measured against people (Cohen's kappa per rubric and label) and Krippendorff's
alpha over any number of annotators with missing ratings, worked out by hand."""

from __future__ import annotations

import math

import pytest

from seedbed.models import Candidate, Project
from seedbed.review import agreement, curation, judge
from seedbed.store.core import Store

A, R = "accepted", "rejected"


@pytest.fixture
def store(every_store: Store) -> Store:
    """Every test here runs on SQLite and, when configured, on PostgreSQL."""
    return every_store


@pytest.fixture
def project_id(store: Store) -> int:
    return store.create_project(
        Project(name="Agreement", kind="classification", labels=["sports", "politics"])
    )


def add(store: Store, project_id: int, labels: list[str]) -> list[int]:
    return [
        store.add_candidate(
            Candidate(
                project_id=project_id,
                content={"text": f"Report {n}"},
                label=label,
                method="attrprompt",
            )
        )
        for n, label in enumerate(labels)
    ]


def decide(store: Store, candidate_id: int, decision: str, annotator: str, **kwargs) -> None:
    curation.decide(store, store.get_candidate(candidate_id), decision, annotator, **kwargs)


def score(store: Store, project_id: int, candidate_id: int, model: str, *triple: float) -> None:
    scores = dict(zip(judge.CRITERIA, triple, strict=True))
    judge.save_result(store, project_id, judge.JudgeResult(candidate_id, scores, model=model))


def row(rows: list[dict], raters: str, rubric: str, label: str = agreement.ALL_LABELS) -> dict:
    [found] = [r for r in rows if (r["raters"], r["rubric"], r["label"]) == (raters, rubric, label)]
    return found


def test_a_judge_is_measured_against_people_per_rubric_and_per_label(store, project_id) -> None:
    ids = add(store, project_id, ["sports"] * 3 + ["politics"] * 3)
    people = [A, A, R, R, A, R]
    # (helpfulness, correctness, instruction-following); overall is their mean.
    triples = [(5, 5, 5), (2, 5, 2), (2, 2, 2), (2, 2, 2), (4, 4, 4), (4, 4, 4)]
    for candidate_id, decision, triple in zip(ids, people, triples, strict=True):
        decide(store, candidate_id, decision, "ana")
        score(store, project_id, candidate_id, "j", *triple)

    rows = agreement.judge_agreement(store, project_id, accept_at=3.5)

    # Overall verdicts A R R R A A against A A R R A R: p_o 4/6, p_e 1/2 -> kappa 1/3.
    overall = row(rows, "judge j vs human", "overall")
    assert overall["items"] == 6 and overall["observed_agreement"] == pytest.approx(4 / 6)
    assert overall["kappa"] == pytest.approx(1 / 3)
    # Correctness alone: A A R R A A -> p_o 5/6, p_e 1/2 -> kappa 2/3.
    assert row(rows, "judge j vs human", "correctness")["kappa"] == pytest.approx(2 / 3)
    assert row(rows, "judge j vs human", "helpfulness")["kappa"] == pytest.approx(1 / 3)
    # Per label: sports (A,A) (R,A) (R,R): p_o 2/3, p_e 4/9 -> 0.4; politics likewise.
    assert row(rows, "judge j vs human", "overall", "sports")["kappa"] == pytest.approx(0.4)
    assert row(rows, "judge j vs human", "overall", "politics")["kappa"] == pytest.approx(0.4)
    assert row(rows, "human vs human", "decision")["items"] == 0
    # A lower threshold changes the verdicts: from 3.0 the second one (overall 3) accepts,
    # A A R R A A vs A A R R A R: p_o 5/6, p_e 1/2 -> kappa 2/3.
    lenient = row(agreement.judge_agreement(store, project_id, 3.0), "judge j vs human", "overall")
    assert lenient["kappa"] == pytest.approx(2 / 3)


def test_the_latest_human_decision_counts_and_automatic_ones_never(store, project_id) -> None:
    ids = add(store, project_id, ["sports"] * 3)
    score(store, project_id, ids[0], "j", 5, 5, 5)
    score(store, project_id, ids[1], "j", 1, 1, 1)
    decide(store, ids[0], R, "ana")
    decide(store, ids[0], A, "ben")  # ben's later decision is the one the judge is held to
    decide(store, ids[1], R, "ana")
    decide(store, ids[2], A, "AI judge j (automatic)", automatic=True)
    score(store, project_id, ids[2], "j", 5, 5, 5)

    rows = agreement.judge_agreement(store, project_id, accept_at=3.5)

    overall = row(rows, "judge j vs human", "overall")
    assert overall["items"] == 2 and overall["kappa"] == pytest.approx(1.0)
    people = row(rows, "human vs human", "decision")
    assert people["items"] == 1 and people["observed_agreement"] == 0.0
    assert agreement.agreement(store, project_id)["items"] == 1


def test_alpha_matches_krippendorffs_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers,
    # 12 units, missing values; nominal alpha = 0.743.
    table = [
        "1 2 3 3 2 1 4 1 2 . . .",
        "1 2 3 3 2 2 4 1 2 5 . 3",
        ". 3 3 3 2 3 4 2 2 5 1 .",
        "1 2 3 3 2 4 4 1 2 5 1 .",
    ]
    units: dict[int, dict[str, str]] = {}
    for observer, line in zip("ABCD", table, strict=True):
        for unit, value in enumerate(line.split()):
            if value != ".":
                units.setdefault(unit, {})[observer] = value
    assert agreement.alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_alpha_of_three_annotators_with_missing_ratings_and_of_judges(store, project_id) -> None:
    u1, u2, u3 = add(store, project_id, ["sports"] * 3)
    decide(store, u1, A, "a")
    decide(store, u1, A, "b")
    for annotator in "abc":
        decide(store, u2, R, annotator)
    decide(store, u3, A, "a")
    decide(store, u3, R, "c")

    measured = agreement.reliability(store, project_id, accept_at=3.5)

    # Coincidences: o_AA 2, o_RR 3, o_AR = o_RA 1; n_A 3, n_R 4, n 7.
    # D_o = 2/7, D_e = 2*3*4/(7*6) = 4/7: alpha = 1 - 1/2.
    assert measured["humans"] == pytest.approx(0.5)
    assert (measured["annotators"], measured["units"]) == (3, 3)
    assert measured["with_judges"] == pytest.approx(0.5)  # no judge yet

    score(store, project_id, u1, "j", 5, 5, 5)
    score(store, project_id, u2, "j", 4, 4, 4)  # the judge accepts what people rejected
    # u1 A A A: o_AA 3; u2 R R R A: o_RR 2, o_RA = o_AR 1; u3: o_AR = o_RA 1.
    # n_A 5, n_R 4, n 9: D_o 4/9, D_e 2*5*4/(9*8) = 5/9: alpha = 1 - 4/5.
    with_judge = agreement.reliability(store, project_id, accept_at=3.5)["with_judges"]
    assert with_judge == pytest.approx(0.2)


def test_alpha_is_undefined_without_a_unit_rated_twice_or_with_one_value() -> None:
    assert agreement.alpha({1: {"a": A}, 2: {"b": R}}) is None
    assert agreement.alpha({1: {"a": A, "b": A}, 2: {"a": A, "c": A}}) is None
    assert not math.isnan(agreement.alpha({1: {"a": A, "b": R}, 2: {"a": R, "b": R}}))
