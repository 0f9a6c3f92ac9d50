"""Annotators on several app replicas: claims and conflicts hold across processes.

Each replica is its own process on one database (SQLite, and PostgreSQL when
SEEDBED_TEST_POSTGRES_URL is set). The claims and conflict checks themselves are
seedbed/review/curation.py's (tested in tests/unit/review/test_curation.py); here they are
driven from separate processes, through the Review page as a replica serves it.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import types
from typing import Any

import pytest

from seedbed.errors import ReviewConflict
from seedbed.models import Candidate, CandidateStatus, Project
from seedbed.review import curation
from seedbed.store.core import Store

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter, as another server is
SHOWN = re.compile(r"^Candidate (\d+) · ")
TIMEOUT = 240


@pytest.fixture
def project_id(every_store: Store) -> int:
    return every_store.create_project(Project(name="Replicas"))


def add(store: Store, project_id: int, count: int) -> list[int]:
    return [
        store.add_candidate(
            Candidate(project_id=project_id, content={"text": f"Report {n}."}, method="attrprompt")
        )
        for n in range(count)
    ]


def run_replicas(target: Any, *args_by_replica: tuple[Any, ...]) -> list[Any]:
    """Run `target(*args, results)` in one process per args tuple; their results."""
    results = SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*args, results)) for args in args_by_replica]
    # A spawned child re-runs the parent's __main__; after an AppTest in this session
    # that is app.py. Start the children with a bare __main__ instead.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for process in processes:
            process.start()
    finally:
        sys.modules["__main__"] = main
    try:
        return [results.get(timeout=TIMEOUT) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


# -- two replicas serve the Review page ------------------------------------------------------


def _review_until_empty(url: str, annotator: str, start: Any, results: Any) -> None:
    """One replica's browser session: accept the card shown until nothing is left."""
    os.environ["DATABASE_URL"] = url
    from tests.app.test_pages import open_app

    at = open_app("review", "Replicas", annotator=annotator, review_owner=f"tab-{annotator}")
    start.wait()  # both replicas show their first card before either decides
    decided = []
    while shown := [int(m[1]) for c in at.caption if (m := SHOWN.match(c.value))]:
        at.button(key="review_accept").click().run()
        decided.append(shown[0])
        if at.exception or at.error:
            break
    errors = [str(e.value) for e in at.error] + [str(e) for e in at.exception]
    results.put((annotator, decided, errors))


def test_two_app_replicas_never_show_the_same_candidate(
    every_store: Store, project_id: int
) -> None:
    ids = add(every_store, project_id, 10)
    start = SPAWN.Barrier(2)
    outcome = run_replicas(
        _review_until_empty, (every_store.url, "ana", start), (every_store.url, "ben", start)
    )
    decided = {annotator: ids_ for annotator, ids_, _ in outcome}
    assert [errors for _, _, errors in outcome] == [[], []]
    assert decided["ana"] and decided["ben"]  # both really reviewed
    assert sorted(decided["ana"] + decided["ben"]) == ids  # each candidate exactly once
    for annotator, mine in decided.items():
        for candidate_id in mine:
            [review] = every_store.list_reviews(candidate_id)
            assert (review.annotator, review.decision) == (annotator, "accepted")


# -- two processes decide the same candidates at the same moment -----------------------------


def _decide_all(
    url: str, ids: list[int], annotator: str, decision: str, ready: Any, results: Any
) -> None:
    """Read each candidate as a card shows it, wait for the other process, then decide."""
    store = Store(url)
    outcomes = []
    for candidate_id in ids:
        seen = store.get_candidate(candidate_id)
        ready.wait()  # both hold the same version of the card now
        try:
            curation.decide(store, seen, decision, annotator)
            outcomes.append("saved")
        except ReviewConflict as conflict:
            outcomes.append(f"conflict: {conflict.status} by {conflict.by}")
    results.put((annotator, outcomes))


def test_of_two_processes_deciding_one_card_one_is_saved_the_other_told(
    every_store: Store, project_id: int
) -> None:
    ids = add(every_store, project_id, 20)
    ready = SPAWN.Barrier(2)
    outcome = dict(
        run_replicas(
            _decide_all,
            (every_store.url, ids, "ana", "accepted", ready),
            (every_store.url, ids, "ben", "rejected", ready),
        )
    )
    for index, candidate_id in enumerate(ids):
        pair = {outcome["ana"][index], outcome["ben"][index]}
        winner = "ana" if outcome["ana"][index] == "saved" else "ben"
        decision = "accepted" if winner == "ana" else "rejected"
        assert pair == {"saved", f"conflict: {decision} by {winner}"}
        [review] = every_store.list_reviews(candidate_id)  # the stale decision wrote nothing
        assert (review.annotator, review.decision) == (winner, decision)
        assert every_store.get_candidate(candidate_id).status == CandidateStatus(decision)
