"""The Review page through AppTest: every action, conflicts, table mode, preferences, judge."""

from __future__ import annotations

import json

import pytest

from seedbed.models import Candidate, CandidateStatus, Message
from seedbed.review import curation, judge, preferences
from seedbed.review.agreement import overlap_fraction, set_overlap_fraction
from seedbed.store.core import Store
from tests.app.test_pages import add_candidate, open_app, openai_settings, project_id
from tests.fake_openai_server import FakeOpenAIServer

NEWS = "News topic classification"
GENERAL = "General instruction tuning"
PENDING, ACCEPTED, REJECTED = (
    CandidateStatus.PENDING,
    CandidateStatus.ACCEPTED,
    CandidateStatus.REJECTED,
)


@pytest.fixture
def two_pending(demo_store: Store) -> list[int]:
    return [
        add_candidate(demo_store, NEWS, text=text, label="sports")
        for text in ("First match report.", "Second match report.")
    ]


def texts(at) -> list[str]:
    return [element.value for element in at.text]


def review(**state):
    return open_app("review", project=NEWS, **state)


# -- queue actions ----------------------------------------------------------------------------
def test_accept_and_reject_are_stored_at_once(demo_store: Store, two_pending) -> None:
    at = review(annotator="ana")
    assert "First match report." in texts(at)
    at.button(key="review_accept").click().run()
    assert demo_store.get_candidate(two_pending[0]).status == ACCEPTED
    assert "Second match report." in texts(at)
    assert at.toast[0].value == f"Candidate {two_pending[0]} accepted."
    at.button(key="review_reject").click().run()
    assert demo_store.get_candidate(two_pending[1]).status == REJECTED
    assert at.success[0].value == "Nothing is waiting for review."
    [first] = demo_store.list_reviews(two_pending[0])
    assert (first.annotator, first.reason) == ("ana", None)


def test_reject_stores_the_reason(demo_store: Store, two_pending) -> None:
    at = review()
    at.button_group(key=f"review_reason_pick_{two_pending[0]}").set_value("off-topic")
    at.text_input(key=f"review_reason_{two_pending[0]}").input("about tennis, not football")
    at.button(key="review_reject").click().run()
    [decision] = demo_store.list_reviews(two_pending[0])
    assert decision.decision == "rejected"
    assert decision.reason == "off-topic; about tennis, not football"


def test_edit_then_accept_keeps_the_original(demo_store: Store, two_pending) -> None:
    at = review()
    at.button(key="review_edit").click().run()
    at.text_area(key=f"review_edit_{two_pending[0]}_text").input("An edited report.")
    at.selectbox(key=f"review_edit_{two_pending[0]}_label").set_value("health")
    at.button(key="review_save_edit").click().run()
    candidate = demo_store.get_candidate(two_pending[0])
    assert candidate.status == ACCEPTED
    assert candidate.content["text"] == "First match report."
    assert candidate.final_content == {"text": "An edited report.", "label": "health"}
    assert "Second match report." in texts(at)


def test_an_empty_output_must_be_filled_before_it_can_be_accepted(demo_store: Store) -> None:
    pid = project_id(demo_store, GENERAL)
    content = {"instruction": "Name a moon of Mars.", "input": "", "output": ""}
    candidate_id = demo_store.add_candidate(
        Candidate(project_id=pid, content=content, method="self_instruct")
    )
    at = open_app("review", project=GENERAL)
    assert at.warning[0].value == (
        "Empty output: this candidate cannot be accepted as it is. "
        "Edit it to fill the field, then accept."
    )
    assert at.button(key="review_accept").disabled
    at.button(key="review_edit").click().run()
    at.button(key="review_save_edit").click().run()  # still empty: refused, and said why
    assert demo_store.get_candidate(candidate_id).status == PENDING
    assert at.error[0].value == "The output is empty: fill it (Edit) before accepting."
    at.button(key="review_edit").click().run()
    at.text_area(key=f"review_edit_{candidate_id}_output").input("Phobos")
    at.button(key="review_save_edit").click().run()
    candidate = demo_store.get_candidate(candidate_id)
    assert candidate.status == ACCEPTED and candidate.final_content["output"] == "Phobos"


def test_skip_moves_on_without_deciding_and_frees_the_candidate(demo_store, two_pending) -> None:
    at = review()
    at.button(key="review_skip").click().run()
    assert "Second match report." in texts(at)
    assert demo_store.get_candidate(two_pending[0]).status == PENDING
    # Another annotator can now be given the skipped candidate.
    other = curation.claim_next(demo_store, project_id(demo_store, NEWS), "other", "ben")
    assert other.candidate.id == two_pending[0]


def test_undo_brings_the_last_decision_back(demo_store: Store, two_pending) -> None:
    at = review(annotator="ana")
    at.button(key="review_reject").click().run()
    assert demo_store.get_candidate(two_pending[0]).status == REJECTED
    at.button(key="review_undo").click().run()
    assert demo_store.get_candidate(two_pending[0]).status == PENDING
    assert "First match report." in texts(at)  # back on screen to decide again
    assert [r.decision for r in demo_store.list_reviews(two_pending[0])] == ["rejected", "undo"]
    at.button(key="review_accept").click().run()
    assert demo_store.get_candidate(two_pending[0]).status == ACCEPTED


def test_undo_with_nothing_to_undo_says_so(demo_store: Store, two_pending) -> None:
    at = review()
    at.button(key="review_undo").click().run()
    assert at.info[0].value == "You have no decision left to undo in this project."


def test_the_keyboard_shortcuts_are_shown(demo_store: Store, two_pending) -> None:
    at = review()
    legend = next(c.value for c in at.caption if c.value.startswith("Keys:"))
    for letter, action in [("a", "accept"), ("r", "reject"), ("e", "edit"), ("s", "skip")]:
        assert f"**{letter}** {action}" in legend
    labels = {button.key: button.label for button in at.button}
    assert labels["review_accept"] == "Accept (a)" and labels["review_undo"] == "Undo last (u)"


# -- two annotators ---------------------------------------------------------------------------
def test_two_sessions_see_different_candidates(demo_store: Store, two_pending) -> None:
    ana = review(annotator="ana", review_owner="session-ana")
    ben = review(annotator="ben", review_owner="session-ben")
    assert "First match report." in texts(ana)
    assert "Second match report." in texts(ben)
    assert "First match report." not in texts(ben)


def test_a_decision_on_a_changed_candidate_shows_a_conflict(demo_store, two_pending) -> None:
    at = review(annotator="ana")  # Ana's card shows the first report...
    seen = demo_store.get_candidate(two_pending[0])
    curation.decide(demo_store, seen, "rejected", "ben")  # ...when Ben rejects it (table mode)
    at.button(key="review_accept").click().run()
    assert "changed after you opened it: it is now rejected by ben" in at.error[0].value
    assert "not saved" in at.error[0].value
    assert demo_store.get_candidate(seen.id).status == REJECTED
    assert [r.annotator for r in demo_store.list_reviews(seen.id)] == ["ben"]
    at.button(key="review_conflict_open").click().run()
    assert "First match report." in texts(at)
    assert "Already rejected" in at.info[0].value


def test_review_focus_id_opens_that_candidate(demo_store: Store, two_pending) -> None:
    at = review(review_focus_id=two_pending[1])
    assert "Second match report." in texts(at)
    assert "First match report." not in texts(at)


def test_second_opinions_are_blind_and_counted_in_agreement(demo_store, two_pending) -> None:
    pid = project_id(demo_store, NEWS)
    at = review(annotator="ana", review_owner="session-ana")
    at.slider(key="review_overlap").set_value(50).run()
    assert overlap_fraction(demo_store, pid) == 0.5
    set_overlap_fraction(demo_store, pid, 1.0)
    at.button(key="review_accept").click().run()
    ben = review(annotator="ben", review_owner="session-ben")
    assert "Second opinion" in ben.info[0].value
    assert "First match report." in texts(ben)
    assert not any("by ana" in str(frame.value) for frame in ben.dataframe)  # blind
    assert not any("accepted" in caption.value for caption in ben.caption)
    ben.button(key="review_reject").click().run()
    ben.toggle(key="review_show_agreement").set_value(True).run()
    metrics = {metric.label: metric.value for metric in ben.metric}
    assert metrics["Candidates with two opinions"] == "1"
    assert metrics["Observed agreement"] == "0%"


# -- safety -----------------------------------------------------------------------------------
def test_markup_is_shown_as_text(demo_store: Store) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3))'
    add_candidate(demo_store, NEWS, text=hostile, label="sports")
    at = review()
    assert hostile in texts(at)
    assert not any(hostile in m.value for m in at.markdown)


# -- table mode -------------------------------------------------------------------------------
def test_table_pages_sorts_and_opens_a_candidate(demo_store: Store) -> None:
    ids = [add_candidate(demo_store, NEWS, text=f"Report {n}.", label="sports") for n in range(30)]
    at = review(review_mode="Table")
    table = at.dataframe[0].value
    assert len(table) == 30  # all on the first page of 50
    assert list(table["id"][:3]) == ids[:3]
    at.toggle(key="review_table_desc").set_value(True).run()
    assert list(at.dataframe[0].value["id"][:2]) == [ids[-1], ids[-2]]
    at.selectbox(key="review_table_size").set_value(25).run()
    at.number_input(key="review_table_page").set_value(2).run()
    assert list(at.dataframe[0].value["id"]) == list(reversed(ids[:5]))
    at.selectbox(key="review_table_open_id").set_value(ids[2]).run()
    at.button(key="review_table_open").click().run()
    assert at.session_state["review_mode"] == "Queue"
    assert "Report 2." in texts(at)


def test_bulk_accept_asks_with_the_count_then_records_each(demo_store: Store) -> None:
    ids = [add_candidate(demo_store, NEWS, text=f"Report {n}.", label="sports") for n in range(3)]
    other = add_candidate(demo_store, NEWS, text="A business story.", label="business")
    at = review(review_mode="Table", annotator="ana")
    at.multiselect(key="review_table_labels").set_value(["sports"]).run()
    at.button(key="review_bulk_accepted").click().run()
    assert "Accept 3 candidates" in at.warning[0].value
    assert all(demo_store.get_candidate(i).status == PENDING for i in ids)  # not before yes
    at.button(key="review_bulk_confirm").click().run()
    assert all(demo_store.get_candidate(i).status == ACCEPTED for i in ids)
    assert demo_store.get_candidate(other).status == PENDING
    assert [demo_store.list_reviews(i)[0].annotator for i in ids] == ["ana"] * 3
    assert at.toast[0].value == "Accepted 3 candidates."


def test_bulk_reject_can_be_cancelled(demo_store: Store, two_pending) -> None:
    at = review(review_mode="Table")
    at.button(key="review_bulk_rejected").click().run()
    at.button(key="review_bulk_cancel").click().run()
    assert all(demo_store.get_candidate(i).status == PENDING for i in two_pending)
    assert at.button(key="review_bulk_rejected").label == "Reject all 2 in the selection"


# -- preference mode ------------------------------------------------------------------------
def completion(store: Store, output: str) -> int:
    pid = project_id(store, GENERAL)
    content = {"instruction": "Name a colour.", "input": "", "output": output}
    return store.add_candidate(Candidate(project_id=pid, content=content, method="self_instruct"))


def test_preference_mode_stores_the_verdict(demo_store: Store) -> None:
    ids = [completion(demo_store, "Teal"), completion(demo_store, "Olive")]
    at = open_app("review", project=GENERAL, review_mode="Preference", annotator="ana")
    shown = [text for text in texts(at) if text in ("Teal", "Olive")]  # A on the left, then B
    assert len(shown) == 2 and texts(at)[0] == "Name a colour."
    at.button(key="pref_b").click().run()
    [row] = preferences.iter_preference_pairs(demo_store, project_id(demo_store, GENERAL))
    assert (row["chosen"], row["rejected"]) == (shown[1], shown[0])
    assert {row["chosen_id"], row["rejected_id"]} == set(ids)
    assert (row["verdict"], row["annotator"]) == ("better", "ana")
    assert "No pair is waiting for you" in at.info[0].value


def test_preference_mode_asks_the_backend_for_a_second_completion(demo_store: Store) -> None:
    completion(demo_store, "Teal")
    with FakeOpenAIServer(reply=lambda _: "Crimson", api_key="test-key") as server:
        at = open_app("review", GENERAL, review_mode="Preference", **openai_settings(server))
        at.button(key="pref_generate").click().run()
    assert "Stored the new completion" in at.success[0].value
    at.run()
    assert {"Teal", "Crimson"} <= set(texts(at))


# -- AI pre-scoring -------------------------------------------------------------------------
def test_the_judge_scores_pending_candidates_and_orders_the_queue(demo_store, two_pending) -> None:
    replies = {
        "First match report.": {"helpfulness": 5, "correctness": 5, "instruction_following": 5},
        "Second match report.": {"helpfulness": 2, "correctness": 1, "instruction_following": 2},
    }

    def reply(messages) -> str:
        asked = messages[-1]["content"]
        return next(json.dumps(s) for text, s in replies.items() if text in asked)

    with FakeOpenAIServer(reply=reply, api_key="test-key") as server:
        at = review(**openai_settings(server))
        at.button(key="review_judge_run").click().run()
    assert at.success[0].value == "Scored 2 of 2 candidates."
    scores = judge.results_for(demo_store, two_pending)
    assert scores[two_pending[1]][0].overall == pytest.approx(5 / 3)
    assert all(demo_store.get_candidate(i).status == PENDING for i in two_pending)
    low_first = review(review_order="judge_low", review_owner="another-session")
    assert "Second match report." in texts(low_first)
    assert any(
        "helpfulness 2/5 · correctness 1/5" in t and t.endswith("→ reject")
        for t in texts(low_first)
    )


def test_a_garbage_judge_reply_is_reported_on_the_card(demo_store, two_pending) -> None:
    with FakeOpenAIServer(reply=lambda _: "Looks fine to me!", api_key="test-key") as server:
        at = review(**openai_settings(server))
        at.number_input(key="review_judge_n").set_value(1)
        at.button(key="review_judge_run").click().run()
        assert "1 could not be scored" in at.success[0].value
        at.run()
    assert any("could not parse a 1-5 score" in t for t in texts(at))


def _measured_judge(store: Store, count: int = 20) -> None:
    """`count` News candidates ana decided and the judge `j` scored the same way."""
    pid = project_id(store, NEWS)
    for n in range(count):
        candidate_id = add_candidate(store, NEWS, text=f"Decided report {n}.", label="sports")
        decision = "accepted" if n % 2 else "rejected"
        curation.decide(store, store.get_candidate(candidate_id), decision, "ana")
        scores = dict.fromkeys(judge.CRITERIA, 5.0 if n % 2 else 1.0)
        judge.save_result(store, pid, judge.JudgeResult(candidate_id, scores, model="j"))


def test_a_measured_judge_decides_alone_only_once_allowed(demo_store, two_pending) -> None:
    pid = project_id(demo_store, NEWS)
    _measured_judge(demo_store)
    # The unsure one comes first: it is the card on screen (held by this session).
    for candidate_id, overall in zip(two_pending, (3.0, 5.0), strict=True):
        scores = dict.fromkeys(judge.CRITERIA, overall)
        judge.save_result(demo_store, pid, judge.JudgeResult(candidate_id, scores, model="j"))
    at = review(annotator="kim")
    assert not any(b.key == "review_auto_run" for b in at.button)  # off: no button
    at.toggle(key=f"review_auto_allow_{pid}").set_value(True).run()
    assert judge.settings(demo_store, pid).auto_kappa == 0.8
    at.slider(key=f"review_auto_kappa_{pid}").set_value(0.9).run()
    assert judge.settings(demo_store, pid).auto_kappa == 0.9
    at.button(key="review_auto_run").click().run()
    assert at.success[0].value == (
        "The judge accepted 1 and rejected 0 candidates on its own (kappa 1.00 on 20); "
        "1 stay for people. Each is marked as an automatic decision."
    )
    unsure, sure = (demo_store.get_candidate(i) for i in two_pending)
    assert (sure.status, unsure.status) == (ACCEPTED, PENDING)
    assert sure.reviewed_by == "AI judge j (automatic)"
    # The card of what stays says what the judge thinks, as text.
    assert any(t.startswith("j: helpfulness 3/5") and t.endswith("→ reject") for t in texts(at))


def test_a_judge_that_disagrees_with_people_is_refused(demo_store, two_pending) -> None:
    pid = project_id(demo_store, NEWS)
    _measured_judge(demo_store, 19)
    judge.save_settings(demo_store, pid, judge.JudgeSettings(3.5, 0.8))
    at = review()
    at.button(key="review_auto_run").click().run()
    assert "measured against people on 19 candidates" in at.warning[0].value
    assert all(demo_store.get_candidate(i).status == PENDING for i in two_pending)


def test_agreement_shows_judges_against_people_and_alpha(demo_store) -> None:
    _measured_judge(demo_store, 4)
    at = review()
    at.toggle(key="review_show_agreement").set_value(True).run()
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Krippendorff's alpha, people"] == "–"  # one annotator: nothing to compare
    assert metrics["Alpha, people and AI judges"] == "1.00"
    [table] = [frame.value for frame in at.dataframe if "raters" in frame.value.columns]
    overall = table[(table.raters == "judge j vs human") & (table.rubric == "overall")]
    assert overall.iloc[0]["kappa"] == pytest.approx(1.0)
    assert overall.iloc[0]["items"] == 4
    assert set(table.label) == {"all labels", "sports"}


def test_the_least_sure_order_is_offered(demo_store, two_pending) -> None:
    pid = project_id(demo_store, NEWS)
    for candidate_id, overall in zip(two_pending, (5.0, 3.0), strict=True):
        scores = dict.fromkeys(judge.CRITERIA, overall)
        judge.save_result(demo_store, pid, judge.JudgeResult(candidate_id, scores, model="j"))
    at = review(review_order="judge_unsure")
    assert "Second match report." in texts(at)  # 3.0 is nearer the threshold than 5.0


# -- lineage and the nearest neighbour --------------------------------------------------------
def test_the_card_shows_what_a_candidate_was_derived_from(demo_store: Store) -> None:
    pid = project_id(demo_store, NEWS)
    parent = add_candidate(demo_store, NEWS, text="The original report.", label="sports")
    demo_store.add_candidate(
        Candidate(
            project_id=pid,
            content={"text": "A reworded report.", "label": "sports"},
            label="sports",
            method="chataug",
            lineage={"source_kind": "candidate", "parent_id": parent},
            prompt=[Message(role="user", content="Reword it.")],
        )
    )
    at = review(review_focus_id=parent + 1)
    assert "The original report." in texts(at)
    assert any(c.value == f"Derived from candidate {parent}" for c in at.caption)


@pytest.mark.slow
def test_the_nearest_accepted_neighbour_is_shown(demo_store: Store) -> None:
    accepted = add_candidate(
        demo_store, NEWS, text="The home side won the cup final.", label="sports"
    )
    add_candidate(demo_store, NEWS, text="Shares in the airline rose sharply.", label="business")
    curation.decide(demo_store, demo_store.get_candidate(accepted), "accepted", "ana")
    add_candidate(demo_store, NEWS, text="The home team won the final of the cup.", label="sports")
    at = review(review_focus_id=accepted + 2, review_neighbour=True)
    assert "The home side won the cup final." in texts(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Nearest accepted"))
    assert float(caption.split("cosine ")[1].rstrip(")")) > 0.7


def test_a_large_new_accepted_set_is_embedded_off_the_page_for_the_neighbour(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from components import embedding
    from tests.insight_fixtures import held_embedder

    gate = held_embedder(monkeypatch)
    monkeypatch.setattr(embedding, "IN_PAGE", 2)  # three new accepted texts are many
    for text in ("The home side won the cup.", "Rates rose.", "A new vaccine was tested."):
        accepted = add_candidate(demo_store, NEWS, text=text, label="sports")
        curation.decide(demo_store, demo_store.get_candidate(accepted), "accepted", "ana")
    pending = add_candidate(demo_store, NEWS, text="The home team won the cup.", label="sports")

    at = review(review_focus_id=pending, review_neighbour=True)
    assert not at.exception
    assert "The home team won the cup." in texts(at)  # the card shows, decisions go on
    assert at.get("progress") and not any(c.value.startswith("Nearest") for c in at.caption)

    gate.set()
    deadline = time.monotonic() + 30
    while not any(c.value.startswith("Nearest accepted") for c in at.caption):
        assert time.monotonic() < deadline, "the neighbour never appeared"
        time.sleep(0.2)
        at.run()
    assert "The home side won the cup." in texts(at)


def test_a_blank_annotator_name_is_asked_for_before_any_decision(demo_store, two_pending) -> None:
    at = review(annotator="  ")
    assert "Enter your name as Annotator" in at.warning[0].value
    assert not at.button  # nothing to click until a name is set


def test_bulk_decisions_on_ticked_rows_only(demo_store: Store) -> None:
    from components.review.table import rows_key

    ids = [add_candidate(demo_store, NEWS, text=f"Report {n}.", label="sports") for n in range(4)]
    at = review(review_mode="Table", annotator="ana")
    at.session_state[f"review_table_rows_{rows_key(ids)}"] = {
        "selection": {"rows": [0, 2], "columns": [], "cells": []}
    }
    at.run()
    assert at.button(key="review_ticked_rejected").label == "Reject the 2 ticked"
    assert at.button(key="review_bulk_rejected").label == "Reject all 4 in the selection"
    at.button(key="review_ticked_rejected").click().run()
    assert "Reject 2 candidates (every ticked row" in at.warning[0].value
    at.button(key="review_bulk_confirm").click().run()
    statuses = [demo_store.get_candidate(i).status for i in ids]
    assert statuses == [REJECTED, PENDING, REJECTED, PENDING]
    assert at.toast[0].value == "Rejected 2 candidates."


# -- conversations ----------------------------------------------------------------------------
def test_a_conversation_is_a_chat_and_a_cut_accepts_the_turns_before_it(demo_store) -> None:
    pid = project_id(demo_store, GENERAL)
    content = {
        "user_1": "Name a moon of Mars?",
        "assistant_1": "Phobos, the larger one.",
        "user_2": "<b>And the other?</b>",
        "assistant_2": "Deimos.",
        "user_3": "",
        "assistant_3": "",
    }
    candidate_id = demo_store.add_candidate(
        Candidate(project_id=pid, content=content, method="conversation")
    )
    at = open_app("review", project=GENERAL)
    assert [message.name for message in at.chat_message] == ["user", "assistant"] * 3
    assert "<b>And the other?</b>" in texts(at)  # turn text shown as text, not markup
    assert not any("<b>" in m.value for m in at.markdown)
    assert at.button(key="review_accept").disabled  # the empty last exchange
    at.selectbox(key=f"review_cut_{candidate_id}").set_value(2)
    at.button(key="review_cut").click().run()
    candidate = demo_store.get_candidate(candidate_id)
    assert candidate.status == ACCEPTED
    assert candidate.final_content == {key: content[key] for key in list(content)[:4]}
    assert candidate.content == content  # the whole conversation stays the original
