"""The utility check: reading a real labelled set, and a classifier trained on synthetic data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seedbed.errors import UtilityError
from seedbed.insights.utility import (
    LabelledText,
    parse_labelled_file,
    stratified_sample,
    utility_check,
)


# -- reading the real set -------------------------------------------------------------
def test_csv_with_text_and_label_columns() -> None:
    data = 'id,Text,label\n1,"Shares rose, then fell.",business\n2,"A late goal\nwon it.",sports\n'
    rows, errors = parse_labelled_file("real.csv", data.encode("utf-8-sig"))
    assert errors == []
    assert rows == [
        LabelledText("Shares rose, then fell.", "business", 2),
        LabelledText("A late goal\nwon it.", "sports", 4),
    ]


def test_csv_problems_name_their_lines() -> None:
    data = "text,label\nfine,a\n,b\nno label,\ntoo,many,fields\n"
    rows, errors = parse_labelled_file("real.csv", data.encode())
    assert [row.text for row in rows] == ["fine"]
    assert errors == [
        "Line 3: the text is empty.",
        "Line 4: the label is empty.",
        "Line 5: more fields than the header has.",
    ]


def test_csv_without_the_columns() -> None:
    rows, errors = parse_labelled_file("real.csv", b"sentence,category\nhi,a\n")
    assert rows == [] and errors == ["Line 1: the header needs a 'text' and a 'label' column."]


def test_jsonl_rows_and_problems() -> None:
    lines = [
        json.dumps({"text": "Rates went up.", "label": "business"}),
        "",
        "{broken",
        json.dumps({"text": "No label here"}),
        json.dumps(["text", "label"]),
        json.dumps({"text": "Numbered label", "label": 3}),
        json.dumps({"text": "Odd label", "label": {"x": 1}}),
    ]
    rows, errors = parse_labelled_file("real.jsonl", "\n".join(lines).encode())
    assert rows == [
        LabelledText("Rates went up.", "business", 1),
        LabelledText("Numbered label", "3", 6),
    ]
    assert errors[0].startswith("Line 3: not valid JSON")
    assert errors[1:] == [
        "Line 4: needs an object with 'text' and 'label' keys.",
        "Line 5: needs an object with 'text' and 'label' keys.",
        "Line 7: the label must be text.",
    ]


def test_other_files_are_refused_clearly() -> None:
    assert parse_labelled_file("real.txt", b"x")[1] == ["'real.txt' is neither .csv nor .jsonl."]
    assert "not UTF-8" in parse_labelled_file("real.csv", b"text,label\n\xff,a")[1][0]
    assert parse_labelled_file("empty.jsonl", b"\n\n")[1] == ["The file holds no rows."]


def test_many_problems_are_summarised() -> None:
    data = "\n".join(["{bad"] * 30).encode()
    errors = parse_labelled_file("real.jsonl", data)[1]
    assert len(errors) == 21 and errors[-1] == "… and 10 more problems."


# -- the classifier -------------------------------------------------------------------
def clusters(per_label: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Three well separated clusters in 8 dimensions."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[:3] * 5
    vectors = np.vstack([centre + rng.normal(0, 0.3, (per_label, 8)) for centre in centres])
    return vectors, [label for label in ("a", "b", "c") for _ in range(per_label)]


def test_a_separable_set_is_learned_perfectly() -> None:
    train_x, train_y = clusters(20, seed=0)
    test_x, test_y = clusters(10, seed=1)
    result = utility_check(train_x, train_y, test_x, test_y)

    assert result.accuracy == 1.0 and result.macro_f1 == 1.0
    assert result.labels == ["a", "b", "c"]
    assert result.confusion.tolist() == [[10, 0, 0], [0, 10, 0], [0, 0, 10]]
    assert (result.train_size, result.test_size) == (60, 30)
    assert result.unseen_labels == []


def test_a_real_label_missing_from_the_synthetic_data_counts_as_wrong() -> None:
    train_x, train_y = clusters(20, seed=0)
    keep = [i for i, label in enumerate(train_y) if label != "c"]
    test_x, test_y = clusters(10, seed=1)
    result = utility_check(train_x[keep], [train_y[i] for i in keep], test_x, test_y)

    assert result.unseen_labels == ["c"]
    assert result.accuracy == pytest.approx(20 / 30)
    assert result.macro_f1 < 0.8  # c scores an F1 of 0
    assert result.confusion[2].sum() == 10 and result.confusion[2, 2] == 0


def test_the_check_needs_two_labels_and_a_real_set() -> None:
    x, y = clusters(5, seed=0)
    with pytest.raises(UtilityError, match="two labels"):
        utility_check(x[:5], y[:5], x, y)
    with pytest.raises(UtilityError, match="empty"):
        utility_check(x, y, x[:0], [])


def test_a_stratified_sample_keeps_each_labels_share_and_is_repeatable() -> None:
    rows = [LabelledText(f"a {i}", "a", i) for i in range(700)]
    rows += [LabelledText(f"b {i}", "b", 700 + i) for i in range(297)]
    rows += [LabelledText(f"c {i}", "c", 997 + i) for i in range(3)]
    sample = stratified_sample(rows, 100)
    counts = {label: sum(r.label == label for r in sample) for label in "abc"}
    assert len(sample) == 100
    assert counts["c"] >= 1  # a rare label is never left out
    assert abs(counts["a"] - 70) <= 1 and abs(counts["b"] - 30) <= 1
    assert [r.line for r in sample] == sorted(r.line for r in sample)  # file order
    assert sample == stratified_sample(rows, 100)
    assert stratified_sample(rows[:50], 100) == rows[:50]  # small sets are used whole
