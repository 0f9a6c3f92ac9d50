"""The contamination check: a 13-word sequence or a near-identical embedding shared with an
evaluation item flags a record; evaluation files are read as JSONL, CSV or plain text."""

from __future__ import annotations

import numpy as np
import pytest

from seedbed.duplicates.contamination import (
    EvalSetError,
    contamination_report,
    read_eval_file,
)

QUESTION = (
    "A farmer has seventeen sheep and all but nine run away in the storm, how many sheep "
    "does the farmer have left"
)


def test_a_shared_thirteen_word_sequence_flags_a_record() -> None:
    leaked = "Answer this: all but nine run away in the storm, how many sheep does the farmer keep?"
    twelve = "Story: all but nine run away in the storm, how many sheep does a wolf eat?"
    report = contamination_report([(1, leaked), (2, twelve)], [QUESTION])
    [hit] = report.hits
    assert (hit.candidate_id, hit.eval_item, hit.kind) == (1, 0, "n-gram")
    assert hit.evidence == "all but nine run away in the storm how many sheep does the"
    assert report.summary().startswith("1 of 2 records flagged against 1 evaluation items")
    # A shorter n is the user's choice: then the twelve shared words flag the second record.
    assert contamination_report([(2, twelve)], [QUESTION], n=8).flagged == {2}


def test_a_short_evaluation_item_is_matched_whole() -> None:
    record = (5, "Q: What is the capital of France? A: Paris")
    report = contamination_report([record], ["What is the capital of France?"])
    assert report.flagged == {5}
    assert not contamination_report([(5, "The capital of Spain")], ["capital of France"]).hits


def test_a_near_identical_embedding_flags_a_record() -> None:
    ours = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    theirs = np.array([[0.6, 0.8]], dtype=np.float32)
    report = contamination_report(
        [(1, "one"), (2, "two")], ["eval"], vectors=(ours, theirs), threshold=0.75
    )
    found = [(h.candidate_id, h.kind, h.evidence) for h in report.hits]
    assert found == [(2, "embedding", "0.800")]
    assert "1 by embedding" in report.summary()


def test_evaluation_files_in_three_formats() -> None:
    jsonl = b'{"question": "Why is the sky blue?", "choices": ["light", "paint"]}\n\n{"q": "x"}\n'
    assert read_eval_file("bench.jsonl", jsonl) == ["Why is the sky blue?\nlight\npaint", "x"]
    csv = b"question,answer\nWhy is the sky blue?,Rayleigh scattering\n"
    assert read_eval_file("bench.csv", csv) == ["Why is the sky blue?\nRayleigh scattering"]
    assert read_eval_file("bench.txt", b"first item\n\n second item \n") == [
        "first item",
        "second item",
    ]
    with pytest.raises(EvalSetError, match="line 1 is not JSON"):
        read_eval_file("bench.jsonl", b"{oops\n")
    with pytest.raises(EvalSetError, match="no evaluation item"):
        read_eval_file("bench.txt", b"\n\n")
