"""The utility check: does a classifier trained on the synthetic data work on real data?

This is how the AttrPrompt paper judges a generated data set: train on the synthetic items,
test on a real labelled set. Here the model is a logistic regression over the same sentence
embeddings the diversity measures use, so the check runs in seconds on a CPU.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from seedbed.errors import UtilityError
from seedbed.insights.embeddings import Progress, embed_texts, reporting
from seedbed.insights.selection import fetch_rows
from seedbed.models import CandidateFilter
from seedbed.store.core import Store

MAX_REPORTED_ERRORS = 20
# Real rows the check tests on by default: a few minutes of embedding on 2 cores at
# most, and enough that the accuracy's sampling error stays near one point.
SAMPLE_ROWS = 2_000


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str
    line: int


def parse_labelled_file(name: str, data: bytes) -> tuple[list[LabelledText], list[str]]:
    """Read a real labelled set: CSV with `text` and `label` columns, or JSONL with those keys.

    Returns the rows and the problems found, each naming its line; a caller should not
    evaluate on a file with problems, since a silently shorter test set misleads.
    """
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [f"The file is not UTF-8 text (byte {error.start} cannot be read)."]
    lowered = name.lower()
    if lowered.endswith(".csv"):
        rows, errors = _parse_csv(content)
    elif lowered.endswith((".jsonl", ".ndjson", ".json")):
        rows, errors = _parse_jsonl(content)
    else:
        return [], [f"'{name}' is neither .csv nor .jsonl."]
    if not rows and not errors:
        errors = ["The file holds no rows."]
    if len(errors) > MAX_REPORTED_ERRORS:
        hidden = len(errors) - MAX_REPORTED_ERRORS
        errors = [*errors[:MAX_REPORTED_ERRORS], f"… and {hidden} more problems."]
    return rows, errors


def _parse_csv(content: str) -> tuple[list[LabelledText], list[str]]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "text" not in header or "label" not in header:
        return [], ["Line 1: the header needs a 'text' and a 'label' column."]
    reader.fieldnames = header
    rows: list[LabelledText] = []
    errors: list[str] = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                errors.append(f"Line {line}: more fields than the header has.")
            else:
                _add_row(rows, errors, record.get("text"), record.get("label"), line)
    except csv.Error as error:
        errors.append(f"Line {reader.line_num}: {error}.")
    return rows, errors


def _parse_jsonl(content: str) -> tuple[list[LabelledText], list[str]]:
    rows: list[LabelledText] = []
    errors: list[str] = []
    for line, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            errors.append(f"Line {line}: not valid JSON ({error.msg}).")
            continue
        if not isinstance(record, dict) or "text" not in record or "label" not in record:
            errors.append(f"Line {line}: needs an object with 'text' and 'label' keys.")
            continue
        _add_row(rows, errors, record["text"], record["label"], line)
    return rows, errors


def _add_row(rows: list, errors: list, text: object, label: object, line: int) -> None:
    if isinstance(label, bool) or not isinstance(label, str | int):
        errors.append(f"Line {line}: the label must be text.")
    elif not isinstance(text, str) or not text.strip():
        errors.append(f"Line {line}: the text is empty.")
    elif not str(label).strip():
        errors.append(f"Line {line}: the label is empty.")
    else:
        rows.append(LabelledText(text, str(label).strip(), line))


def stratified_sample(rows: Sequence[LabelledText], size: int, seed: int = 0) -> list[LabelledText]:
    """At most `size` of `rows`, each label keeping its share (at least one row each).

    The same rows, in file order, for the same input: the sample is part of what a
    cached result is keyed by.
    """
    if len(rows) <= size:
        return list(rows)
    by_label: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_label.setdefault(row.label, []).append(index)
    # Largest remainders: the shares sum to `size` exactly (never below one a label).
    exact = {label: len(indices) * size / len(rows) for label, indices in by_label.items()}
    shares = {label: max(1, int(value)) for label, value in exact.items()}
    by_remainder = sorted(exact, key=lambda label: exact[label] - int(exact[label]), reverse=True)
    for label in by_remainder[: max(0, size - sum(shares.values()))]:
        shares[label] += 1
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for label, indices in by_label.items():
        take = min(shares[label], len(indices))
        chosen.extend(rng.choice(indices, size=take, replace=False).tolist())
    return [rows[index] for index in sorted(chosen)]


@dataclass
class UtilityResult:
    accuracy: float
    macro_f1: float
    labels: list[str]  # the order of the confusion matrix's rows (true) and columns (predicted)
    confusion: np.ndarray
    train_size: int
    test_size: int
    unseen_labels: list[str]  # real labels the synthetic data never shows: always wrong


def utility_check(
    train_vectors: np.ndarray,
    train_labels: Sequence[str],
    test_vectors: np.ndarray,
    test_labels: Sequence[str],
) -> UtilityResult:
    """Fit a logistic regression on the synthetic set, score it on the real one.

    Macro-F1 averages the F1 of every label of the real set, so a real label the synthetic
    data lacks counts as a failure (F1 of 0) instead of vanishing from the score.
    """
    classes = sorted(set(train_labels))
    if len(classes) < 2:
        raise UtilityError("The synthetic set needs items of at least two labels.")
    if len(test_labels) == 0:
        raise UtilityError("The real set is empty.")
    model = LogisticRegression(max_iter=1000)
    model.fit(np.asarray(train_vectors), list(train_labels))
    predicted = model.predict(np.asarray(test_vectors))
    labels = sorted(set(classes) | set(test_labels))
    return UtilityResult(
        accuracy=float(accuracy_score(test_labels, predicted)),
        macro_f1=float(
            f1_score(
                test_labels,
                predicted,
                labels=sorted(set(test_labels)),
                average="macro",
                zero_division=0,
            )
        ),
        labels=labels,
        confusion=confusion_matrix(test_labels, predicted, labels=labels),
        train_size=len(train_labels),
        test_size=len(test_labels),
        unseen_labels=sorted(set(test_labels) - set(classes)),
    )


def run_utility_check(
    store: Store,
    project_id: int,
    where: CandidateFilter,
    real: Sequence[LabelledText],
    on_progress: Progress | None = None,
) -> UtilityResult:
    """Train on the labelled candidates `where` selects, test on `real`: the whole check,
    embeddings included (only texts never seen before reach the model; each batch is
    reported to `on_progress`)."""
    rows = fetch_rows(store, project_id, where)
    keep = [i for i, label in enumerate(rows.labels) if label]

    def embed(texts: list[str], what: str, fast: bool) -> np.ndarray:
        return embed_texts(texts, store, on_progress=reporting(on_progress, what), fast=fast)

    # The candidates' vectors are the ones Insights shows and caches (full precision);
    # the real texts only feed the classifier, where the fast vectors' few thousandths
    # of cosine change no prediction worth a decimal of the accuracy
    # (bench/bench_utility.py measures the agreement).
    train = embed([rows.texts[i] for i in keep], "candidates", fast=False)
    test = embed([item.text for item in real], "real texts", fast=True)
    return utility_check(train, [rows.labels[i] for i in keep], test, [r.label for r in real])
