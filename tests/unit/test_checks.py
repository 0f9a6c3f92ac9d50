"""Automatic checks: Self-Instruct's instruction and instance filters, refusals, keywords."""

from __future__ import annotations

import pytest

from seedbed.checks import (
    INSTRUCTION_CHECKS,
    NOVELTY_THRESHOLD,
    NoveltyIndex,
    blocklist_check,
    conversation_checks,
    empty_field_check,
    empty_fields,
    format_check,
    instance_checks,
    instruction_checks,
    keyword_check,
    length_check,
    novelty_check,
    passed_instruction_checks,
    refusal_check,
    rouge_l_f,
    rouge_tokens,
)
from seedbed.models import Check, Instance


def f(a: str, b: str) -> float:
    return rouge_l_f(a.split(), b.split())


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
    assert rouge_l_f([], ["a"]) == 0.0


def test_rouge_tokens_are_lowercase_ascii_alphanumerics() -> None:
    assert rouge_tokens("Café au LAIT, 2 cups!") == ["caf", "au", "lait", "2", "cups"]


def test_novelty_fails_above_threshold_and_names_the_closest_item() -> None:
    pool = ["Add two numbers.", "Write a short poem about the ocean.", "Name a fruit."]
    check = novelty_check("Write a short poem about the sea.", pool)
    assert check.name == "novelty"
    assert not check.passed
    assert check.score == pytest.approx(6 / 7, abs=1e-4)
    assert check.detail == "closest: Write a short poem about the ocean."


def test_novelty_passes_for_a_new_instruction() -> None:
    pool = ["Add two numbers.", "Write a short poem about the ocean."]
    check = novelty_check("Translate this sentence into German.", pool)
    assert check.passed
    assert check.score <= NOVELTY_THRESHOLD


def test_novelty_with_an_empty_pool() -> None:
    check = novelty_check("Anything at all.", [])
    assert check.passed and check.score == 0.0
    assert check.detail == "no overlap with the pool"


@pytest.mark.parametrize(("words", "passed"), [(3, False), (4, True), (150, True), (151, False)])
def test_length_check_bounds(words: int, passed: bool) -> None:
    check = length_check(" ".join(["word"] * words))
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
    check = refusal_check(text)
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
    check = refusal_check(text)
    assert check.passed
    assert check.detail == ""


def test_a_refusal_after_the_first_line_is_still_flagged() -> None:
    # Methods check the whole reply, so a refusal below a fine first line counts.
    check = refusal_check("Write a limerick about a sleepy cat.\nI'm sorry, I cannot write poems.")
    assert not check.passed


def test_novelty_uses_an_index_and_a_score_equal_to_the_threshold_passes() -> None:
    # LCS 7 of 10 and 10 tokens: F is exactly 0.7, which Self-Instruct keeps.
    seen = "one two three four five six seven eight nine ten"
    index = NoveltyIndex([seen])
    tie = novelty_check("one two three four five six seven x y z", index)
    assert (tie.passed, tie.score, tie.detail) == (True, 0.7, f"closest: {seen}")
    stricter = novelty_check("one two three four five six seven x y z", index, 0.6)
    assert not stricter.passed


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("Draw a picture of your favourite animal.", "draw, picture"),
        ("Describe the IMAGE below and plot the data.", "image, plot"),
        ("Tell me how to go   to the train station.", "go to"),
        ("Compose music for a short VIDEO about a flowchart.", "music, video, flowchart"),
    ],
)
def test_blocklist_flags_whole_words_and_lists_them(text: str, hits: str) -> None:
    check = blocklist_check(text)
    assert not check.passed
    assert check.detail == f"blocked words: {hits}"
    assert check.score == len(hits.split(", "))


@pytest.mark.parametrize(
    "text",
    [
        "Explain the mapping between two sets.",  # "map" only as a whole word
        "Summarize the profile of this imaginary author.",
        "Describe how a plotter works.",
        "Tell me where you want to go today.",
    ],
)
def test_blocklist_passes_ordinary_instructions(text: str) -> None:
    check = blocklist_check(text)
    assert (check.passed, check.detail, check.score) == (True, "", 0.0)


def test_blocklist_can_be_given_other_words() -> None:
    check = blocklist_check("Book a flight to Rome.", words=["flight", "hotel"])
    assert (check.passed, check.detail) == (False, "blocked words: flight")


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Explain why the sky is blue.", ""),
        ("  Explain why the sky is blue.", ""),
        ("- Explain why the sky is blue.", "starts with punctuation '-'"),
        ('"Quote" this sentence back to me.', "starts with punctuation '\"'"),
        ("Write a program that sorts a list.", "starts with 'Write a program'"),
        ("write a  Program to add two numbers.", "starts with 'Write a program'"),
        ("Écris un poème sur la mer.", "starts with a non-ASCII character 'É'"),
        ("", "empty instruction"),
    ],
)
def test_format_check_follows_self_instruct(text: str, detail: str) -> None:
    check = format_check(text)
    assert check.name == "format"
    assert (check.passed, check.detail) == (detail == "", detail)


def test_format_check_for_other_languages_allows_a_non_ascii_start() -> None:
    assert format_check("Écris un poème sur la mer.", ascii_start=False).passed
    assert format_check("写一首关于大海的诗。", ascii_start=False).passed
    quoted = format_check("「写」一首诗。", ascii_start=False)
    assert (quoted.passed, quoted.detail) == (False, "starts with punctuation '「'")


def test_keyword_check_requires_and_forbids_whole_words() -> None:
    check = keyword_check(
        "Write a formal email to a landlord.",
        required=["email", "apology", "Landlord"],
        forbidden=["formal", "mail", "informal"],
    )
    assert not check.passed
    assert check.detail == "missing: apology; forbidden: formal"
    assert check.score == 2.0
    ok = keyword_check("Write an apology email.", required=["apology"], forbidden=["SMS"])
    assert (ok.name, ok.passed, ok.detail) == ("keywords", True, "")


def test_instruction_checks_run_self_instructs_four_filters() -> None:
    index = NoveltyIndex(["Draw a map of your neighbourhood."])
    checks = instruction_checks("Draw a map of your town.", index)
    assert [c.name for c in checks] == ["novelty", "length", "blocklist", "format"]
    assert [c.passed for c in checks] == [False, True, False, True]
    assert checks[2].detail == "blocked words: draw, map"
    short = instruction_checks("Name a colour.", index, min_words=2, max_words=3)
    assert [c.passed for c in short] == [True, True, True, True]
    assert not instruction_checks("Name a colour.", index)[1].passed


def test_instruction_checks_with_the_unicode_index_accept_other_languages() -> None:
    index = NoveltyIndex(["写一首关于大海的短诗。"], tokenizer="unicode")
    checks = instruction_checks("写 一首 关于 海洋 的 短诗。", index, min_words=1)
    assert [c.name for c in checks] == ["novelty", "length", "blocklist", "format"]
    assert not checks[0].passed and checks[0].detail == "closest: 写一首关于大海的短诗。"
    assert checks[3].passed  # the non-ASCII-start rule is for English projects only
    english = instruction_checks("写 一首 关于 海洋 的 短诗。", NoveltyIndex([]))
    assert not english[3].passed


def _names_and_details(instances: list[Instance]) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.passed, c.detail) for c in instance_checks(instances)}


def test_instance_checks_pass_good_instances() -> None:
    instances = [
        Instance(input="2 + 2", output="4"),
        Instance(input="3 + 5", output="8"),
        Instance(input="", output="Any number works."),
        Instance(input="", output="Another answer."),  # empty inputs never conflict
    ]
    assert _names_and_details(instances) == {
        "instance_conflict": (True, ""),
        "instance_echo": (True, ""),
        "instance_empty_output": (True, ""),
        "instance_colon": (True, ""),
    }


def test_instance_checks_flag_each_problem_with_instance_numbers() -> None:
    instances = [
        Instance(input="I loved it.", output="positive"),
        Instance(input="Hello there", output=" Hello there "),
        Instance(input="I loved it. ", output="negative"),
        Instance(input="List three fruits:", output="   "),
        Instance(input="Name the colours", output="Here they are:"),
    ]
    assert _names_and_details(instances) == {
        "instance_conflict": (False, "instances 1, 3: same input, different outputs"),
        "instance_echo": (False, "instance 2: output repeats the input"),
        "instance_empty_output": (False, "instance 4: empty output"),
        "instance_colon": (False, "instances 4, 5: ends with ':'"),
    }
    scores = [c.score for c in instance_checks(instances)]
    assert scores == [2.0, 1.0, 1.0, 2.0]


def test_novelty_index_flags_a_copy_that_differs_only_in_punctuation() -> None:
    index = NoveltyIndex(["Write a haiku about the moon."])
    check = novelty_check("Write a haiku about the moon!", index)
    assert (check.passed, check.score) == (False, 1.0)


@pytest.mark.parametrize(
    ("content", "empty"),
    [
        ({"instruction": "Add.", "input": "", "output": "5"}, []),  # an input is optional
        ({"instruction": "Add.", "input": "2 3", "output": ""}, ["output"]),
        ({"instruction": " ", "input": "", "output": "\n\t"}, ["instruction", "output"]),
        ({"instruction": "Add."}, ["output"]),  # a missing field is an empty one
        ({"text": "Rain.", "label": "world"}, []),
        ({"text": "", "label": "world"}, ["text"]),
        ({"text": "Rain.", "label": " "}, ["label"]),
        ({"text": "Rain."}, []),
    ],
)
def test_empty_required_fields(content: dict[str, str], empty: list[str]) -> None:
    assert empty_fields(content) == empty
    check = empty_field_check(content)
    assert (check.name, check.passed, check.score) == ("empty_field", not empty, len(empty))
    assert check.detail == (f"empty: {', '.join(empty)}" if empty else "")


def test_the_pool_takes_items_whose_instruction_checks_passed() -> None:
    assert INSTRUCTION_CHECKS == ("novelty", "length", "blocklist", "format")
    for name in INSTRUCTION_CHECKS:
        assert not passed_instruction_checks([Check(name=name, passed=False)])
    # Other checks (an empty output, a refusal in the answer) say nothing of the instruction.
    others = [Check(name=n, passed=False) for n in ("empty_field", "refusal", "instance_echo")]
    assert passed_instruction_checks([*others, Check(name="novelty", passed=True)])
    assert passed_instruction_checks([])


# -- conversations ----------------------------------------------------------------------
def _by_name(content: dict[str, str]) -> dict[str, Check]:
    return {check.name: check for check in conversation_checks(content)}


def test_a_good_conversation_passes_every_turn_check() -> None:
    checks = _by_name(
        {
            "user_1": "Name a river in Peru.",
            "assistant_1": "The Amazon starts in the Peruvian Andes.",
            "user_2": "Now write it as a haiku.",
            "assistant_2": "Snow melts on the peaks / a thin stream learns it is long",
        }
    )
    assert set(checks) == {"refusal", "repeated_turn", "user_asks"}
    assert all(check.passed for check in checks.values())


def test_a_turn_repeating_an_earlier_turn_of_its_role_is_named() -> None:
    checks = _by_name(
        {
            "user_1": "What is the capital of Peru?",
            "assistant_1": "Lima.",
            "user_2": "What is the capital of Peru?",
            "assistant_2": "It is Lima, on the coast.",
        }
    )
    assert not checks["repeated_turn"].passed
    assert checks["repeated_turn"].score == 1.0
    assert checks["repeated_turn"].detail == ("user 2 repeats an earlier user turn (ROUGE-L 1.00)")


@pytest.mark.parametrize(
    "user_turn",
    [
        "Sure! Here is a summary of the causes of the war.",
        "Great question. The answer lies in the tides.",
        " ".join(["The river flows east and the valley widens."] * 8),  # long, asks nothing
    ],
)
def test_a_user_turn_that_answers_instead_of_asking_is_flagged(user_turn: str) -> None:
    checks = _by_name(
        {
            "user_1": "Tell me about Peru?",
            "assistant_1": "Gladly.",
            "user_2": user_turn,
            "assistant_2": "Yes.",
        }
    )
    assert not checks["user_asks"].passed
    assert checks["user_asks"].detail == "user 2 answers instead of asking"


def test_an_opening_not_written_by_the_simulator_is_not_asked_to_ask() -> None:
    long_seed = " ".join(["Rewrite the paragraph below in plain words for a child."] * 8)
    content = {"user_1": long_seed, "assistant_1": "Here it is."}
    assert not _by_name(content)["user_asks"].passed
    assert all(c.passed for c in conversation_checks(content, simulated_from=2))


def test_a_refusal_in_any_turn_is_named_with_its_turn() -> None:
    checks = _by_name({"user_1": "Help me?", "assistant_1": "I'm sorry, I cannot do that."})
    assert checks["refusal"].detail == "assistant 1: contains 'I'm sorry'"


def test_every_turn_of_a_conversation_is_required() -> None:
    content = {"user_1": "Hi?", "assistant_1": "Hello.", "user_2": "", "assistant_2": " "}
    assert empty_fields(content) == ["user_2", "assistant_2"]
