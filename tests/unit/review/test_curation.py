"""Curation: claims, decisions with conflict checks, undo, bulk decisions, overlap, agreement."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from seedbed.errors import ReviewConflict, StoreError
from seedbed.models import Candidate, CandidateFilter, CandidateStatus, Project
from seedbed.review import bulk, curation, judge
from seedbed.review.agreement import kappa, picked_for_overlap, set_overlap_fraction
from seedbed.review.judge import JudgeResult, save_result
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.conftest import V1_DUMP

ACCEPTED, REJECTED, PENDING = "accepted", "rejected", "pending"


@pytest.fixture
def store(every_store: Store) -> Store:
    """Every test here runs on SQLite and, when configured, on PostgreSQL."""
    return every_store


@pytest.fixture
def project_id(store: Store) -> int:
    return store.create_project(Project(name="Curation"))


def add(store: Store, project_id: int, count: int, method: str = "self_instruct") -> list[int]:
    return [
        store.add_candidate(
            Candidate(
                project_id=project_id,
                content={"instruction": f"Task {n}", "input": "", "output": f"Answer {n}"},
                method=method,
            )
        )
        for n in range(count)
    ]


def seen(store: Store, candidate_id: int) -> Candidate:
    """The candidate as an annotator's card shows it now."""
    return store.get_candidate(candidate_id)


def accept(store: Store, candidate_id: int, annotator: str = "ana", **kwargs) -> None:
    curation.decide(store, seen(store, candidate_id), ACCEPTED, annotator, **kwargs)


# -- claims ---------------------------------------------------------------------------------
def test_two_sessions_never_get_the_same_pending_candidate(store: Store, project_id: int) -> None:
    ids = add(store, project_id, 3)
    first = curation.claim_next(store, project_id, owner="s1", annotator="ana")
    second = curation.claim_next(store, project_id, owner="s2", annotator="ben")
    assert (first.candidate.id, second.candidate.id) == (ids[0], ids[1])
    # A session asking again keeps its own candidate (its claim is renewed).
    again = curation.claim_next(store, project_id, owner="s1", annotator="ana")
    assert again.candidate.id == ids[0]


def test_a_released_or_expired_claim_frees_the_candidate(store: Store, project_id: int) -> None:
    [only] = add(store, project_id, 1)
    assert curation.claim(store, only, project_id, "s1", "ana")
    assert not curation.claim(store, only, project_id, "s2", "ben")
    assert curation.claim_next(store, project_id, owner="s2", annotator="ben") is None
    curation.release(store, only, "s1")
    assert curation.claim(store, only, project_id, "s2", "ben")
    # Ben walks away: once his claim expires, Ana takes the candidate over.
    with store.engine.begin() as conn:
        expired = curation.utcnow() - timedelta(seconds=1)
        conn.execute(update(t.review_claims).values(expires_at=expired))
    assert curation.claim_next(store, project_id, owner="s1", annotator="ana").candidate.id == only


def test_skipped_candidates_come_after_the_others(store: Store, project_id: int) -> None:
    ids = add(store, project_id, 2)
    item = curation.claim_next(store, project_id, "s1", "ana", skip=[ids[0]])
    assert item.candidate.id == ids[1]
    assert curation.claim_next(store, project_id, "s1", "ana", skip=ids) is None


def test_queue_order_by_judge_score_puts_unscored_last(store: Store, project_id: int) -> None:
    ids = add(store, project_id, 3)
    for candidate_id, score in ((ids[1], 4.0), (ids[2], 2.0)):
        scores = dict.fromkeys(("helpfulness", "correctness", "instruction_following"), score)
        save_result(store, project_id, JudgeResult(candidate_id, scores=scores))
    low = curation.claim_next(store, project_id, "s1", "ana", order="judge_low")
    high = curation.claim_next(store, project_id, "s2", "ben", order="judge_high")
    rest = curation.claim_next(store, project_id, "s3", "cy", order="judge_high")
    assert [low.candidate.id, high.candidate.id, rest.candidate.id] == [ids[2], ids[1], ids[0]]
    newest = curation.claim_next(store, project_id, "s1", "ana", order="newest", skip=[ids[2]])
    assert newest is None or newest.candidate.id != ids[2]


def test_the_least_sure_order_serves_disputes_then_scores_nearest_the_threshold(
    store: Store, project_id: int
) -> None:
    sure, near, disputed, unscored, nearer = add(store, project_id, 5)
    for candidate_id, overall, model in (
        (sure, 1.0, "j"),
        (near, 4.0, "j"),  # 0.5 from the default threshold 3.5
        (disputed, 5.0, "j"),
        (disputed, 2.0, "k"),  # the two judges disagree
        (nearer, 3.0, "j"),
        (nearer, 3.0, "k"),  # 0.5 below: ties with `near`, the older one first
        (unscored, None, "j"),  # a reply that could not be parsed counts as unscored
    ):
        scores = {} if overall is None else dict.fromkeys(judge.CRITERIA, overall)
        save_result(store, project_id, JudgeResult(candidate_id, scores=scores, model=model))
    served = []
    for session in range(5):
        item = curation.claim_next(store, project_id, f"s{session}", "ana", order="judge_unsure")
        served.append(item.candidate.id)
    assert served == [disputed, near, nearer, sure, unscored]
    judge.save_settings(store, project_id, judge.JudgeSettings(accept_at=1.5))
    for session in range(5):
        curation.release(store, served[session], f"s{session}")
    item = curation.claim_next(store, project_id, "t", "ana", order="judge_unsure")
    assert item.candidate.id == sure  # 0.5 from the new threshold; `disputed` agrees now


# -- decisions and conflicts ---------------------------------------------------------------
def test_a_decision_is_stored_with_annotator_time_and_reason(store: Store, project_id) -> None:
    [candidate_id] = add(store, project_id, 1)
    curation.claim(store, candidate_id, project_id, "s1", "ana")
    curation.decide(store, seen(store, candidate_id), REJECTED, "ana", reason=" off-topic ")
    stored = store.get_candidate(candidate_id)
    assert (stored.status, stored.reviewed_by, stored.version) == (REJECTED, "ana", 1)
    [review] = store.list_reviews(candidate_id)
    assert (review.decision, review.reason, review.version) == (REJECTED, "off-topic", 1)
    assert review.created_at == stored.reviewed_at
    with store.engine.connect() as conn:  # the decision freed the queue claim
        assert conn.execute(select(t.review_claims)).all() == []


def test_a_stale_decision_is_refused_with_a_conflict(store: Store, project_id: int) -> None:
    [candidate_id] = add(store, project_id, 1)
    card_of_ben = seen(store, candidate_id)
    accept(store, candidate_id, "ana")
    with pytest.raises(ReviewConflict) as raised:
        curation.decide(store, card_of_ben, REJECTED, "ben")
    assert "now accepted by ana" in str(raised.value)
    assert "not saved" in str(raised.value)
    assert store.get_candidate(candidate_id).status == ACCEPTED
    assert [r.annotator for r in store.list_reviews(candidate_id)] == ["ana"]


def test_a_deliberate_re_review_says_whose_decision_it_replaced(store, project_id) -> None:
    [candidate_id] = add(store, project_id, 1)
    accept(store, candidate_id, "ana")
    decision = curation.decide(store, seen(store, candidate_id), REJECTED, "ben")
    assert decision.replaced == "accepted by ana"
    assert store.get_candidate(candidate_id).status == REJECTED


def test_deciding_a_deleted_candidate_is_a_store_error(store: Store, project_id: int) -> None:
    [candidate_id] = add(store, project_id, 1)
    card = seen(store, candidate_id)
    store.delete_project(project_id)
    with pytest.raises(StoreError, match="no longer exists"):
        curation.decide(store, card, ACCEPTED, "ana")


def test_edit_then_accept_keeps_both_texts(store: Store, project_id: int) -> None:
    [candidate_id] = add(store, project_id, 1)
    edited = {"instruction": "Task 0, clearer", "input": "", "output": "Better answer"}
    accept(store, candidate_id, edited=edited)
    stored = store.get_candidate(candidate_id)
    assert stored.content["output"] == "Answer 0"
    assert stored.final_content == edited
    assert store.list_reviews(candidate_id)[0].edited_content == edited


def add_empty(store: Store, project_id: int, **content: str) -> int:
    content = {"instruction": "Name a colour.", "input": "", "output": ""} | content
    return store.add_candidate(Candidate(project_id=project_id, content=content, method="x"))


def test_an_empty_output_cannot_be_accepted_until_an_edit_fills_it(store, project_id) -> None:
    candidate_id = add_empty(store, project_id)
    with pytest.raises(StoreError, match=r"^The output is empty: fill it \(Edit\)"):
        accept(store, candidate_id)
    blank = {"instruction": "Name a colour.", "input": "", "output": "  \n"}
    with pytest.raises(StoreError, match="output is empty"):
        accept(store, candidate_id, edited=blank)
    assert store.get_candidate(candidate_id).status == PENDING
    curation.decide(store, seen(store, candidate_id), REJECTED, "ana")  # rejecting is fine
    filled = {"instruction": "Name a colour.", "input": "", "output": "Teal"}
    accept(store, candidate_id, edited=filled)
    assert store.get_candidate(candidate_id).final_content == filled


def test_an_empty_text_or_instruction_cannot_be_accepted(store, project_id) -> None:
    text_id = store.add_candidate(
        Candidate(project_id=project_id, content={"text": " ", "label": "world"}, method="x")
    )
    with pytest.raises(StoreError, match="^The text is empty"):
        accept(store, text_id)
    both = add_empty(store, project_id, instruction="")
    with pytest.raises(StoreError, match="^The instruction and output are empty"):
        accept(store, both)


# -- undo -----------------------------------------------------------------------------------
def test_undo_restores_pending_and_is_recorded(store: Store, project_id: int) -> None:
    ids = add(store, project_id, 2)
    accept(store, ids[0], edited={"instruction": "T", "input": "", "output": "E"})
    curation.decide(store, seen(store, ids[1]), REJECTED, "ana", reason="dull")
    undone = curation.undo_last(store, project_id, "ana")
    assert undone.candidate_id == ids[1]
    assert store.get_candidate(ids[1]).status == PENDING
    assert curation.undo_last(store, project_id, "ana").candidate_id == ids[0]
    first = store.get_candidate(ids[0])
    assert (first.status, first.edited_content, first.reviewed_by) == (PENDING, None, None)
    assert curation.undo_last(store, project_id, "ana") is None
    trail = store.list_reviews(ids[0])
    assert [(r.decision, r.undone) for r in trail] == [(ACCEPTED, True), ("undo", False)]
    assert trail[1].undoes_id == trail[0].id


def test_undo_brings_back_the_decision_before(store: Store, project_id: int) -> None:
    [candidate_id] = add(store, project_id, 1)
    accept(store, candidate_id, "ana")
    curation.decide(store, seen(store, candidate_id), REJECTED, "ben")
    curation.undo_last(store, project_id, "ben")
    restored = store.get_candidate(candidate_id)
    assert (restored.status, restored.reviewed_by) == (ACCEPTED, "ana")


def test_undo_after_someone_else_decided_is_a_conflict(store: Store, project_id: int) -> None:
    [candidate_id] = add(store, project_id, 1)
    accept(store, candidate_id, "ana")
    curation.decide(store, seen(store, candidate_id), REJECTED, "ben")
    with pytest.raises(ReviewConflict):
        curation.undo_last(store, project_id, "ana")
    assert store.get_candidate(candidate_id).status == REJECTED


def test_undo_only_touches_its_own_project(store: Store, project_id: int) -> None:
    other = store.create_project(Project(name="Other"))
    [mine] = add(store, project_id, 1)
    [theirs] = add(store, other, 1)
    accept(store, mine)
    accept(store, theirs)
    assert curation.undo_last(store, project_id, "ana").candidate_id == mine
    assert store.get_candidate(theirs).status == ACCEPTED


# -- bulk -----------------------------------------------------------------------------------
def test_bulk_accept_changes_the_filtered_selection_and_records_each(store, project_id) -> None:
    chosen = add(store, project_id, 4, method="attrprompt")
    others = add(store, project_id, 2)
    accept(store, chosen[0])  # already accepted: nothing to change
    curation.claim(store, chosen[1], project_id, "someone-else", "ben")
    where = CandidateFilter(methods=["attrprompt"])
    assert bulk.bulk_count(store, project_id, where, ACCEPTED) == 3
    result = bulk.bulk_decide(store, project_id, where, ACCEPTED, "ana", owner="s1", batch=2)
    assert (result.changed, result.skipped) == (2, 1)  # ben's claimed candidate is left alone
    statuses = {i: store.get_candidate(i).status for i in chosen + others}
    assert [statuses[i] for i in chosen] == [ACCEPTED, PENDING, ACCEPTED, ACCEPTED]
    assert [statuses[i] for i in others] == [PENDING, PENDING]
    for candidate_id in chosen[2:]:
        [review] = store.list_reviews(candidate_id)
        assert (review.decision, review.annotator, review.version) == (ACCEPTED, "ana", 1)


def test_bulk_accept_leaves_empty_candidates_pending_and_counts_them(store, project_id) -> None:
    full = add(store, project_id, 2)
    empty = [add_empty(store, project_id), add_empty(store, project_id, output=" ")]
    result = bulk.bulk_decide(store, project_id, None, ACCEPTED, "ana", owner="s1", batch=1)
    assert (result.changed, result.skipped, result.empty) == (2, 0, 2)
    assert [store.get_candidate(i).status for i in full + empty] == [ACCEPTED] * 2 + [PENDING] * 2
    result = bulk.bulk_decide(store, project_id, None, REJECTED, "ana", owner="s1")
    assert (result.changed, result.empty) == (4, 0)  # rejecting them is fine


def test_bulk_reject_with_a_status_filter_and_a_reason(store: Store, project_id: int) -> None:
    ids = add(store, project_id, 3)
    accept(store, ids[0])
    where = CandidateFilter(statuses=[CandidateStatus.ACCEPTED])
    assert bulk.bulk_count(store, project_id, where, REJECTED) == 1
    assert bulk.bulk_count(store, project_id, where, ACCEPTED) == 0
    result = bulk.bulk_decide(store, project_id, where, REJECTED, "ana", "s1", reason="bulk")
    assert result.changed == 1
    assert store.list_reviews(ids[0])[-1].reason == "bulk"
    assert store.get_candidate(ids[1]).status == PENDING


# -- overlap and agreement -------------------------------------------------------------------
def test_overlap_sends_a_decided_candidate_to_a_second_annotator(store, project_id) -> None:
    set_overlap_fraction(store, project_id, 1.0)
    ids = add(store, project_id, 2)
    accept(store, ids[0], "ana")
    # Ana never gets her own decision back; Ben gets it first, as a second opinion.
    assert curation.claim_next(store, project_id, "s1", "ana").candidate.id == ids[1]
    item = curation.claim_next(store, project_id, "s2", "ben")
    assert (item.candidate.id, item.second_opinion) == (ids[0], True)
    curation.decide(store, item.candidate, ACCEPTED, "ben")
    assert curation.claim_next(store, project_id, "s2", "ben", skip=[ids[1]]) is None
    measures = curation.agreement(store, project_id)
    assert (measures["items"], measures["observed_agreement"]) == (1, 1.0)
    assert measures["kappa"] is None  # one label only: kappa is undefined
    assert measures["overlap"] == 1.0


def test_picked_for_overlap_takes_about_the_fraction() -> None:
    picked = sum(picked_for_overlap(i, 0.2) for i in range(1, 10_001))
    assert 1800 < picked < 2200
    assert not any(picked_for_overlap(i, 0.0) for i in range(1, 1000))


def test_agreement_is_cohens_kappa_of_first_and_second_annotator(store, project_id) -> None:
    ids = add(store, project_id, 5)
    # (ana, ben): agree, agree, disagree, agree -> p_o 0.75, p_e 0.5, kappa 0.5
    for candidate_id, (a, b) in zip(
        ids,
        [(ACCEPTED, ACCEPTED), (REJECTED, REJECTED), (ACCEPTED, REJECTED), (ACCEPTED, ACCEPTED)],
        strict=False,
    ):
        curation.decide(store, seen(store, candidate_id), a, "ana")
        curation.decide(store, seen(store, candidate_id), b, "ben")
    accept(store, ids[4], "ana")  # one annotator only: not counted
    measures = curation.agreement(store, project_id)
    assert measures["items"] == 4
    assert measures["observed_agreement"] == 0.75
    assert measures["kappa"] == pytest.approx(0.5)
    assert measures["disagreements"] == [ids[2]]
    [pair] = measures["by_pair"]
    assert pair["annotators"] == ("ana", "ben") and pair["kappa"] == pytest.approx(0.5)


def test_an_undone_decision_does_not_count_in_agreement(store, project_id) -> None:
    [candidate_id] = add(store, project_id, 1)
    accept(store, candidate_id, "ana")
    curation.decide(store, seen(store, candidate_id), REJECTED, "ben")
    curation.undo_last(store, project_id, "ben")
    assert curation.agreement(store, project_id)["items"] == 0


def test_kappa_matches_a_hand_computation() -> None:
    assert kappa([ACCEPTED, REJECTED], [ACCEPTED, REJECTED]) == 1.0
    assert kappa([ACCEPTED, ACCEPTED, REJECTED], [REJECTED, ACCEPTED, ACCEPTED]) == pytest.approx(
        -0.5
    )
    assert kappa([ACCEPTED], [ACCEPTED]) is None


# -- two annotators at once -------------------------------------------------------------------
def _race(store: Store, card: Candidate) -> list[str]:
    """Ana accepts and Ben rejects the same card at the same moment, in two threads."""
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(annotator: str, decision: str) -> None:
        barrier.wait()
        try:
            curation.decide(store, card, decision, annotator)
            outcomes.append("saved")
        except ReviewConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=decide, args=("ana", ACCEPTED)),
        threading.Thread(target=decide, args=("ben", REJECTED)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_threads_racing_for_one_decision_one_wins_one_is_told(store, project_id) -> None:
    for candidate_id in add(store, project_id, 5):
        assert sorted(_race(store, seen(store, candidate_id))) == ["conflict", "saved"]
        assert len(store.list_reviews(candidate_id)) == 1


def _review_until_empty(url: str, project_id: int, owner: str, start, queue) -> None:
    """One annotator process: claim, accept, repeat; reports every id it claimed."""
    store = Store(url)
    claimed = []
    start.wait()  # both processes begin together, whatever their start-up time
    while (item := curation.claim_next(store, project_id, owner, owner)) is not None:
        claimed.append(item.candidate.id)
        time.sleep(0.002)  # a (very fast) human reading the card
        curation.decide(store, item.candidate, ACCEPTED, owner)
    queue.put(claimed)


def test_two_processes_on_one_database_never_claim_the_same_candidate(
    store: Store, project_id: int
) -> None:
    ids = add(store, project_id, 120)
    context = multiprocessing.get_context("spawn")
    queue, start = context.Queue(), context.Barrier(2)
    workers = [
        context.Process(
            target=_review_until_empty, args=(store.url, project_id, name, start, queue)
        )
        for name in ("ana", "ben")
    ]
    for worker in workers:
        worker.start()
    claimed = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(claimed[0] + claimed[1]) == ids  # each exactly once
    assert claimed[0] and claimed[1]  # both really worked
    for candidate_id in ids:
        assert len(store.list_reviews(candidate_id)) == 1


def test_only_accepted_decisions_in_force_reach_the_generation_pool(store, project_id) -> None:
    """The Self-Instruct pool and the novelty pool read the accepted set, as here."""
    kept, rejected, undone = add(store, project_id, 3)
    accept(store, kept)
    curation.decide(store, seen(store, rejected), REJECTED, "ana")
    accept(store, undone, "ben")
    curation.undo_last(store, project_id, "ben")
    pool = [c.id for c in store.iter_candidates(project_id, CandidateFilter(statuses=["accepted"]))]
    assert pool == [kept]


def test_a_version_1_database_gains_the_review_workflow(tmp_path) -> None:
    """tests/data/seedbed_v1.sql, plus a decision stored the way version 1 stored it."""
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DUMP.read_text())
        conn.execute(
            "INSERT INTO reviews VALUES (1, 1, 'accepted', NULL, 'old', '2026-11-21 00:00:00')"
        )

    store = Store(f"sqlite:///{path}")

    [review] = store.list_reviews(1)
    assert (review.decision, review.version, review.undone, review.reason) == (
        ACCEPTED,
        None,
        False,
        None,
    )
    assert store.get_candidate(1).version == 0
    assert curation.undo_last(store, 1, "old").id == 1  # a legacy decision can be undone
    assert store.get_candidate(1).status == PENDING
    assert curation.claim_next(store, 1, "s1", "new").candidate.id == 1
