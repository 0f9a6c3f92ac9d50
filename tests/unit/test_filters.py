"""Automatic checks: ROUGE-L novelty, length and refusals."""

from __future__ import annotations

import pytest

from seedbed import filters


def f(a: str, b: str) -> float:
    return filters.rouge_l_f(a.split(), b.split())


def test_rouge_l_on_hand_computed_cases() -> None:
    assert f("a b c", "a b c") == 1.0
    # LCS "the cat on mat" = 4 of 6 tokens each way.
    assert f("the cat sat on the mat", "the cat lay on a mat") == pytest.approx(4 / 6)
    # LCS "a c" = 2: precision 2/6, recall 2/3, F = 2 * (1/3) * (2/3) / 1 = 4/9.
    assert f("a b c", "a x c y z w") == pytest.approx(4 / 9)
    assert f("a b c", "a x c y z w") == f("a x c y z w", "a b c")
    # Order matters: only one token can be matched in sequence.
    assert f("a b c", "c b a") == pytest.approx(1 / 3)
    assert f("a b", "c d") == 0.0
    assert filters.rouge_l_f([], ["a"]) == 0.0


def test_rouge_tokens_are_lowercase_ascii_alphanumerics() -> None:
    assert filters.rouge_tokens("Café au LAIT, 2 cups!") == ["caf", "au", "lait", "2", "cups"]


def test_novelty_fails_above_threshold_and_names_the_closest_item() -> None:
    pool = ["Add two numbers.", "Write a short poem about the ocean.", "Name a fruit."]
    check = filters.novelty_check("Write a short poem about the sea.", pool)
    assert check.name == "novelty"
    assert not check.passed
    assert check.score == pytest.approx(6 / 7, abs=1e-4)
    assert check.detail == "closest: Write a short poem about the ocean."


def test_novelty_passes_for_a_new_instruction() -> None:
    pool = ["Add two numbers.", "Write a short poem about the ocean."]
    check = filters.novelty_check("Translate this sentence into German.", pool)
    assert check.passed
    assert check.score <= filters.NOVELTY_THRESHOLD


def test_novelty_with_an_empty_pool() -> None:
    check = filters.novelty_check("Anything at all.", [])
    assert check.passed and check.score == 0.0
    assert check.detail == "no overlap with the pool"


@pytest.mark.parametrize(("words", "passed"), [(3, False), (4, True), (150, True), (151, False)])
def test_length_check_bounds(words: int, passed: bool) -> None:
    check = filters.length_check(" ".join(["word"] * words))
    assert check.passed is passed
    assert check.score == words
    assert check.detail == f"{words} words (allowed 4-150)"


@pytest.mark.parametrize(
    "text",
    [
        "As an AI language model, I do not have opinions.",
        "as an ai model I can't say",
        "I'm sorry, but I can't help with that.",
        "I’m sorry, but that is not possible.",
        "Unfortunately I cannot write that.",
        "I can’t assist with this request.",
    ],
)
def test_refusals_are_flagged(text: str) -> None:
    check = filters.refusal_check(text)
    assert not check.passed
    assert check.detail.startswith("contains '")


@pytest.mark.parametrize(
    "text",
    [
        "Paris is the capital of France.",
        "The hotel Wi-Fi cannot handle video calls.",
        "Tourism in Hawaii cannot recover without flights.",
        "Explain why the sky is blue.",
    ],
)
def test_ordinary_text_is_not_a_refusal(text: str) -> None:
    check = filters.refusal_check(text)
    assert check.passed
    assert check.detail == ""


def test_run_checks_checks_the_main_text_and_refusals_in_everything() -> None:
    checks = filters.run_checks(
        "Write a limerick about a sleepy cat.",
        "Write a limerick about a sleepy cat.\nI'm sorry, I cannot write poems.",
        ["Write a haiku about the moon."],
    )
    assert [c.name for c in checks] == ["novelty", "length", "refusal"]
    assert [c.passed for c in checks] == [True, True, False]
    short = filters.run_checks("x " * 200, "x", [], max_words=2000)
    assert short[1].passed
