"""The ROUGE-L novelty index gives rouge_score's scores exactly, ties included."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from seedbed.novelty import NoveltyIndex, lcs_length, rouge_l_f, rouge_tokens, unicode_tokens

SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
# A small vocabulary makes long common subsequences, repeats and ties likely.
WORDS = st.sampled_from(["a", "b", "c", "d", "e", "the", "cat", "Sat", "ON"])
TEXTS = st.lists(WORDS, max_size=90).map(" ".join)


def reference_scores(text: str, pool: list[str]) -> list[float]:
    """Stanford Alpaca's novelty scores: _score_lcs(new instruction, each pool item)."""
    tokens = SCORER._tokenizer.tokenize(text)
    return [
        rouge_scorer._score_lcs(tokens, SCORER._tokenizer.tokenize(other)).fmeasure
        for other in pool
    ]


def assert_same_as_reference(index: NoveltyIndex, text: str, pool: list[str]) -> None:
    scores = reference_scores(text, pool)
    best = max(scores, default=0.0)
    score, closest = index.closest(text)
    assert score == best  # bit for bit, not approximately
    if best == 0.0:
        assert closest is None
    else:
        assert closest == pool[scores.index(best)]  # the earliest of equal scores


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_rouge_tokens_equal_the_reference_tokenizer_on_any_text(text: str) -> None:
    assert rouge_tokens(text) == SCORER._tokenizer.tokenize(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_unicode_tokens_equal_the_reference_tokens_on_ascii_text(text: str) -> None:
    assert unicode_tokens(text) == rouge_tokens(text)


def test_unicode_tokens_keep_words_of_any_script_whole() -> None:
    assert unicode_tokens("Écrivez un POÈME, naïve Straße!") == [
        "écrivez", "un", "poème", "naïve", "strasse",
    ]  # fmt: skip
    assert rouge_tokens("Écrivez un POÈME") == ["crivez", "un", "po", "me"]
    assert unicode_tokens("写一首诗") == ["写", "一", "首", "诗"]
    assert unicode_tokens("カタカナ and ひらがな") == [
        "カ",
        "タ",
        "カ",
        "ナ",
        "and",
        "ひ",
        "ら",
        "が",
        "な",
    ]
    # Full-width letters and a decomposed accent normalise to the usual spelling.
    assert unicode_tokens("Ｃａｆｅ\u0301 हिन्दी") == ["café", "हिन्दी"]


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=100), st.lists(WORDS, max_size=100))
def test_rouge_l_f_equals_rouge_score(target: list[str], prediction: list[str]) -> None:
    reference = rouge_scorer._score_lcs(target, prediction)
    assert rouge_l_f(target, prediction) == reference.fmeasure
    lcs = rouge_scorer._lcs_table(target, prediction)[-1][-1]
    assert lcs_length(target, prediction) == lcs


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXTS, max_size=40), st.lists(TEXTS, min_size=1, max_size=5))
def test_closest_equals_the_reference_maximum(pool: list[str], probes: list[str]) -> None:
    # Probes over 64 tokens take the Python path, shorter ones the numpy path.
    index = NoveltyIndex(pool)
    for probe in probes:
        assert_same_as_reference(index, probe, pool)
        index.add(probe)
        pool = [*pool, probe]
    assert len(index) == len(pool)


def test_closest_matches_the_reference_on_english_instructions() -> None:
    pool = [
        "Write a short poem about the ocean.",
        "Give three tips for staying healthy.",
        "Explain photosynthesis to a ten-year-old.",
        "Summarize the following article in two sentences.",
        "Classify the sentiment of this review as positive or negative.",
        "Translate the sentence into French.",
        "Suggest five names for a bakery.",
        "List the pros and cons of remote work.",
        "Write a limerick about a cat who loves the sea.",
        "Describe a typical day of a nurse in Tokyo.",
    ] * 3  # repeats: the earliest must win
    index = NoveltyIndex(pool)
    probes = [
        "Write a short poem about the sea.",
        "Give 3 tips for staying healthy and happy.",
        "Explain photosynthesis to a child.",
        "Summarise the following article in two sentences!",
        "What is the capital of Peru?",
        "Write a poem about a cat.",
        "LIST THE PROS AND CONS OF REMOTE WORK",
        "",
        "!!!",
    ]
    for probe in probes:
        assert_same_as_reference(index, probe, pool)


def _exact_ties(limit: int = 40) -> list[tuple[int, int, int]]:
    """(lcs, probe length, pool item length) whose F is exactly 0.7 on paper."""
    return [
        (lcs, m, n)
        for m in range(1, limit)
        for n in range(1, limit)
        for lcs in range(1, min(m, n) + 1)
        if Fraction(2 * lcs, m + n) == Fraction(7, 10)
    ]


def test_exact_ties_at_the_threshold_decide_as_the_reference() -> None:
    decisions = {}
    for lcs, m, n in _exact_ties():
        item = " ".join(f"w{i}" for i in range(n))
        probe = " ".join([f"w{i}" for i in range(lcs)] + [f"new{i}" for i in range(m - lcs)])
        reference = reference_scores(probe, [item])[0]
        score, closest = NoveltyIndex([item]).closest(probe)
        assert (score, closest) == (reference, item)
        decisions[(lcs, m, n)] = score > 0.7
    # 7 of 10 and 10 tokens gives 0.7: kept. 7 with lengths 8 and 12 gives
    # 0.7000000000000001 in floating point, and the reference drops it: so do we.
    assert decisions[(7, 10, 10)] is False
    assert decisions[(7, 8, 12)] is True
    assert decisions[(7, 12, 8)] is True
    assert len(set(decisions.values())) == 2


def test_a_long_probe_and_long_pool_items_score_exactly() -> None:
    long_item = " ".join(f"t{i % 50}" for i in range(150))
    pool = [long_item, "t1 t2 t3 t4", " ".join(f"t{i}" for i in range(70))]
    index = NoveltyIndex(pool)
    # 64 tokens is the last probe length on the numpy path, 65 the first on the Python one.
    edges = [" ".join(f"t{i % 50}" for i in range(length)) for length in (63, 64, 65)]
    for probe in [long_item, *edges, " ".join(f"t{i}" for i in range(0, 140, 2)), "t3 t2 t1"]:
        assert_same_as_reference(index, probe, pool)


def test_an_added_text_is_found_and_counted() -> None:
    index = NoveltyIndex(["Name a fruit that is red."])
    assert len(index) == 1
    assert index.closest("Compose a sonnet about autumn leaves.")[0] < 0.7
    index.add("Compose a sonnet about autumn leaves.")
    assert len(index) == 2
    assert index.closest("Compose a sonnet about autumn leaves.") == (
        1.0,
        "Compose a sonnet about autumn leaves.",
    )


def test_an_empty_pool_or_a_text_without_tokens_scores_zero() -> None:
    assert NoveltyIndex().closest("Anything at all.") == (0.0, None)
    assert NoveltyIndex(["Name a fruit."]).closest("?!") == (0.0, None)
    assert NoveltyIndex(["...", ""]).closest("Name a fruit.") == (0.0, None)


def test_an_unknown_tokenizer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tokenizer"):
        NoveltyIndex([], tokenizer="whitespace")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seen", "new"),
    [
        ("写一首关于大海的短诗。", "写一首关于海洋的短诗。"),
        ("Γράψε ένα σύντομο ποίημα για τη θάλασσα.", "Γράψε ένα μικρό ποίημα για τη θάλασσα."),
    ],
)
def test_unicode_tokenizer_catches_near_duplicates_the_reference_misses(
    seen: str, new: str
) -> None:
    # The reference tokenizer drops every non-ASCII character: nothing left to compare.
    assert NoveltyIndex([seen]).closest(new) == (0.0, None)
    score, closest = NoveltyIndex([seen], tokenizer="unicode").closest(new)
    assert score > 0.7
    assert closest == seen


def test_unicode_tokenizer_tells_apart_texts_the_reference_confuses() -> None:
    seen = "Translate into English: Москва - большой город."
    new = "Translate into English: Сегодня весь день идёт дождь."
    assert NoveltyIndex([seen]).closest(new)[0] == 1.0  # only the English words remain
    assert NoveltyIndex([seen], tokenizer="unicode").closest(new)[0] < 0.7
