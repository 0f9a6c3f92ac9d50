"""Automatic checks on candidates. A failed check flags a candidate; it never deletes one."""

from __future__ import annotations

import re
from collections.abc import Sequence

from seedbed.models import Check

NOVELTY_THRESHOLD = 0.7
MIN_WORDS, MAX_WORDS = 4, 150
REFUSAL_PATTERNS = re.compile(
    # \b: "Wi-Fi cannot" must not read as "I cannot"; chat models often write "I’m" (U+2019).
    r"\b(?:as an ai( language)? model|i['’]?m sorry|i am sorry|i cannot"
    r"|i can['’]?t (help|assist)|i am unable|i['’]?m unable)",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """Lower-cased ASCII alphanumeric tokens, as rouge_score's default tokenizer yields."""
    return _TOKEN.findall(text.lower())


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[-1]))
        previous = current
    return previous[-1]


def rouge_l_f(a: Sequence[str], b: Sequence[str]) -> float:
    """ROUGE-L F-measure of two token lists."""
    if not a or not b:
        return 0.0
    lcs = _lcs_length(a, b)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(b), lcs / len(a)
    return 2 * precision * recall / (precision + recall)


def novelty_check(text: str, pool: Sequence[str]) -> Check:
    """Fails when `text` has ROUGE-L F above the threshold against any pool item."""
    tokens = rouge_tokens(text)
    best_score, closest = 0.0, ""
    for other in pool:
        score = rouge_l_f(rouge_tokens(other), tokens)
        if score > best_score:
            best_score, closest = score, other
    return Check(
        name="novelty",
        passed=best_score <= NOVELTY_THRESHOLD,
        score=round(best_score, 4),
        detail=f"closest: {closest}" if closest else "no overlap with the pool",
    )


def length_check(text: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> Check:
    words = len(text.split())
    return Check(
        name="length",
        passed=min_words <= words <= max_words,
        score=float(words),
        detail=f"{words} words (allowed {min_words}-{max_words})",
    )


def refusal_check(text: str) -> Check:
    match = REFUSAL_PATTERNS.search(text)
    return Check(
        name="refusal",
        passed=match is None,
        detail=f"contains '{match.group(0)}'" if match else "",
    )


def run_checks(
    main_text: str, full_text: str, pool: Sequence[str], max_words: int = MAX_WORDS
) -> list[Check]:
    """Novelty and length on the new instruction or text; refusal on everything."""
    return [
        novelty_check(main_text, pool),
        length_check(main_text, max_words=max_words),
        refusal_check(full_text),
    ]
