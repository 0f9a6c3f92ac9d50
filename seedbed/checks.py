"""Automatic checks on candidates: Self-Instruct's filters and a few more.

Every check returns a `Check` (name, passed, score, detail). A failed check flags a
candidate; it never deletes one, so a reviewer can rescue it.

Instruction filters follow Self-Instruct's code (yizhongw/self-instruct
bootstrap_instructions.py) with the longer keyword list of Stanford Alpaca's
generate_instruction.py: ROUGE-L F above 0.7 against the pool, fewer than 4 or more than
150 words, blocked words, and a start with punctuation, "Write a program" or a non-ASCII
character. Instance filters follow Self-Instruct's prepare_for_finetuning.py.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from functools import cache

from seedbed.conversations import is_conversation, turns
from seedbed.models import Check, Instance
from seedbed.novelty import (
    NoveltyIndex,
    Tokenizer,
    lcs_length,
    rouge_l_f,
    rouge_tokens,
    unicode_tokens,
)

__all__ = [
    "BLOCKLIST",
    "MAX_WORDS",
    "MIN_WORDS",
    "NOVELTY_THRESHOLD",
    "NoveltyIndex",
    "Tokenizer",
    "blocklist_check",
    "conversation_checks",
    "empty_field_check",
    "empty_fields",
    "format_check",
    "instance_checks",
    "instruction_checks",
    "passed_instruction_checks",
    "keyword_check",
    "lcs_length",
    "length_check",
    "novelty_check",
    "refusal_check",
    "truncated_check",
    "was_cut",
    "rouge_l_f",
    "rouge_tokens",
    "unicode_tokens",
]

NOVELTY_THRESHOLD = 0.7
MIN_WORDS, MAX_WORDS = 4, 150
# Tasks a text-only model cannot do (Self-Instruct's list plus Alpaca's additions).
BLOCKLIST = (
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map",
    "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
)  # fmt: skip
REFUSAL_PATTERNS = re.compile(
    # \b: "Wi-Fi cannot" must not read as "I cannot"; chat models often write "I’m" (U+2019).
    r"\b(?:as an ai( language)? model|i['’]?m sorry|i am sorry|i cannot"
    r"|i can['’]?t (help|assist)|i am unable|i['’]?m unable)",
    re.IGNORECASE,
)


def novelty_check(
    text: str, index: NoveltyIndex | Sequence[str], threshold: float = NOVELTY_THRESHOLD
) -> Check:
    """Fails when `text` has a ROUGE-L F-measure above `threshold` against a pool text.

    Args:
        text: the new instruction.
        index: the pool as a `NoveltyIndex` (fast, reusable), or a plain list of texts
            (indexed on each call, with the reference tokenizer).
        threshold: Self-Instruct's 0.7 by default; a score equal to it passes.

    Returns:
        A "novelty" check whose score is the highest F-measure and whose detail names
        the closest pool text.
    """
    if not isinstance(index, NoveltyIndex):
        index = NoveltyIndex(index)
    score, closest = index.closest(text)
    return Check(
        name="novelty",
        passed=score <= threshold,
        score=score,
        detail=f"closest: {closest}" if closest is not None else "no overlap with the pool",
    )


def length_check(text: str, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> Check:
    """Fails outside `min_words`..`max_words` whitespace-separated words (both allowed)."""
    words = len(text.split())
    return Check(
        name="length",
        passed=min_words <= words <= max_words,
        score=float(words),
        detail=f"{words} words (allowed {min_words}-{max_words})",
    )


@cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Whole words only ("mapping" is not "map"); any run of spaces inside a phrase.
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"\b{words}\b", re.IGNORECASE)


def _found(text: str, phrases: Sequence[str]) -> list[str]:
    """The phrases present in `text`, in reading order."""
    starts = {}
    for phrase in phrases:
        match = _phrase_pattern(phrase).search(text) if phrase.strip() else None
        if match:
            starts.setdefault(phrase, match.start())
    return sorted(starts, key=starts.__getitem__)


def blocklist_check(text: str, words: Sequence[str] = BLOCKLIST) -> Check:
    """Fails when `text` contains a blocked word or phrase (whole words, any case).

    The default list names things a text-only model cannot see or make (image, plot,
    video...). The detail lists every hit; the score counts them.
    """
    hits = _found(text, words)
    return Check(
        name="blocklist",
        passed=not hits,
        score=float(len(hits)),
        detail=f"blocked words: {', '.join(hits)}" if hits else "",
    )


def format_check(text: str, *, ascii_start: bool = True) -> Check:
    """Fails when an instruction starts with punctuation or with "Write a program".

    Self-Instruct drops those starting with "Write a program" (the model kept bolting it
    onto other tasks); it tests after capitalising the instruction, so the test here
    ignores case. Both reference repositories also drop instructions whose first
    character is not ASCII ("non-English"): `ascii_start` keeps that rule, and should be
    off for projects in other languages. Punctuation is ASCII punctuation as in the
    reference, plus Unicode punctuation and symbols when `ascii_start` is off.
    """
    instruction = " ".join(text.split())
    if not instruction:
        return Check(name="format", passed=False, detail="empty instruction")
    first = instruction[0]
    problems = []
    if first in string.punctuation or (not ascii_start and unicodedata.category(first)[0] in "PS"):
        problems.append(f"starts with punctuation {first!r}")
    elif ascii_start and not first.isascii():
        problems.append(f"starts with a non-ASCII character {first!r}")
    if instruction.lower().startswith("write a program"):
        problems.append("starts with 'Write a program'")
    return Check(name="format", passed=not problems, detail="; ".join(problems))


def refusal_check(text: str) -> Check:
    """Fails when `text` reads like a refusal ("As an AI language model", "I'm sorry")."""
    match = REFUSAL_PATTERNS.search(text)
    return Check(
        name="refusal",
        passed=match is None,
        detail=f"contains '{match.group(0)}'" if match else "",
    )


def empty_fields(content: dict[str, str]) -> list[str]:
    """The required fields of `content` that are empty (whitespace counts as empty).

    An instruction record needs its instruction and its output (an input is
    optional); a labelled text needs its text and, when it has the field, its label;
    a conversation needs every turn.
    """
    if is_conversation(content):
        required = tuple(content)
    elif "instruction" in content:
        required = ("instruction", "output")
    else:
        required = ("text", "label") if "label" in content else ("text",)
    return [name for name in required if not content.get(name, "").strip()]


def empty_field_check(content: dict[str, str]) -> Check:
    """Fails when a required field is empty: such a record is not data until edited."""
    empty = empty_fields(content)
    return Check(
        name="empty_field",
        passed=not empty,
        score=float(len(empty)),
        detail=f"empty: {', '.join(empty)}" if empty else "",
    )


# The finish reason of a reply cut at its max_tokens (OpenAI's word, used by every backend).
CUT = "length"


def was_cut(finish_reason: str | None) -> bool:
    """True when the reply ended at its token limit rather than where the model stopped."""
    return finish_reason == CUT


def truncated_check(*, dropped_last: bool = False) -> Check:
    """The "truncated" check of a candidate whose reply was cut at its token limit.

    It fails when the candidate's own text may end mid-sentence. With `dropped_last`
    (a list reply whose cut last item was dropped, as Self-Instruct does) it passes:
    the candidate is a complete item, and the check only says the reply was cut.
    """
    if dropped_last:
        detail = "the reply was cut at its token limit; its cut last item was dropped"
        return Check(name="truncated", passed=True, detail=detail)
    detail = "the reply was cut at its token limit (max_tokens): the text may end mid-sentence"
    return Check(name="truncated", passed=False, detail=detail)


def keyword_check(text: str, required: Sequence[str] = (), forbidden: Sequence[str] = ()) -> Check:
    """Fails when a required word or phrase is missing or a forbidden one is present.

    Matching is on whole words, ignoring case. The score counts the problems.
    """
    missing = [phrase for phrase in required if phrase.strip() and not _found(text, [phrase])]
    present = _found(text, forbidden)
    problems = []
    if missing:
        problems.append(f"missing: {', '.join(missing)}")
    if present:
        problems.append(f"forbidden: {', '.join(present)}")
    return Check(
        name="keywords",
        passed=not problems,
        score=float(len(missing) + len(present)),
        detail="; ".join(problems),
    )


def instruction_checks(
    instruction: str,
    index: NoveltyIndex,
    *,
    threshold: float = NOVELTY_THRESHOLD,
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
) -> list[Check]:
    """Self-Instruct's filters on a new instruction: novelty, length, blocklist, format.

    The non-ASCII-start rule applies with the reference tokenizer only: an index built
    with `tokenizer="unicode"` is meant for other languages.
    """
    return [
        novelty_check(instruction, index, threshold),
        length_check(instruction, min_words, max_words),
        blocklist_check(instruction),
        format_check(instruction, ascii_start=index.tokenizer == "rouge"),
    ]


# The checks `instruction_checks` makes: an item that failed one stays out of the novelty pool.
INSTRUCTION_CHECKS = ("novelty", "length", "blocklist", "format")


def passed_instruction_checks(checks: Sequence[Check]) -> bool:
    """True when none of the instruction checks among `checks` failed (absent ones pass)."""
    return all(check.passed for check in checks if check.name in INSTRUCTION_CHECKS)


def _numbers(positions: Sequence[int]) -> str:
    label = "instance" if len(positions) == 1 else "instances"
    return f"{label} {', '.join(str(position + 1) for position in positions)}"


def _instance_check(name: str, positions: list[int], what: str) -> Check:
    detail = f"{_numbers(positions)}: {what}" if positions else ""
    return Check(name=name, passed=not positions, score=float(len(positions)), detail=detail)


def instance_checks(instances: Sequence[Instance]) -> list[Check]:
    """Self-Instruct's checks on a task's generated instances (1-based numbers in details).

    - instance_conflict: the same non-empty input with different outputs;
    - instance_echo: a non-empty output equal to its input;
    - instance_empty_output: an empty output;
    - instance_colon: an input or output ending in ":" (usually a cut-off generation).
    Texts are compared with surrounding whitespace stripped, as in the reference.
    """
    pairs = [(instance.input.strip(), instance.output.strip()) for instance in instances]
    outputs_by_input: dict[str, set[str]] = {}
    for text_in, text_out in pairs:
        if text_in:
            outputs_by_input.setdefault(text_in, set()).add(text_out)
    conflicts = [
        i for i, (text_in, _) in enumerate(pairs) if len(outputs_by_input.get(text_in, ())) > 1
    ]
    return [
        _instance_check("instance_conflict", conflicts, "same input, different outputs"),
        _instance_check(
            "instance_echo",
            [i for i, (text_in, text_out) in enumerate(pairs) if text_out and text_in == text_out],
            "output repeats the input",
        ),
        _instance_check(
            "instance_empty_output",
            [i for i, (_, text_out) in enumerate(pairs) if not text_out],
            "empty output",
        ),
        _instance_check(
            "instance_colon",
            [i for i, pair in enumerate(pairs) if any(part.endswith(":") for part in pair)],
            "ends with ':'",
        ),
    ]


# A repeated turn: ROUGE-L F against an earlier turn of the same role above this.
REPEAT_THRESHOLD = 0.8
# A user turn opening like an answer ("Sure! Here is ...", "Great question").
_ANSWER_OPENING = re.compile(
    r"^\W*(?:sure|certainly|of course|absolutely|great question|good question"
    r"|here(?:['’]s| is| are)|i['’]?d be (?:happy|glad)|i hope this helps|in summary)\b",
    re.IGNORECASE,
)
# What asking looks like: a question mark or a request ("could you", "explain", "I need").
_REQUEST_CUE = re.compile(
    r"\?|\b(?:please|can you|could you|would you|will you|tell me|show me|give me|help me"
    r"|explain|describe|i (?:want|need|would like)|i['’]d like|let['’]?s|how about|what about)\b",
    re.IGNORECASE,
)
ASKING_WORDS = 60  # a longer user turn with no request cue reads as an answer


def _turn_check(name: str, failures: list[str], score: float | None = None) -> Check:
    return Check(name=name, passed=not failures, score=score, detail="; ".join(failures))


def conversation_checks(content: dict[str, str], simulated_from: int = 1) -> list[Check]:
    """Each turn of a conversation checked; one check per kind names the turns that failed.

    - refusal: a turn reads like a refusal;
    - repeated_turn: a turn repeats an earlier turn of the same role (ROUGE-L F above
      REPEAT_THRESHOLD; the score is the highest found);
    - user_asks: a simulated user turn (exchange `simulated_from` on; an opening taken
      from a seed task is not the simulator's) answers instead of asking: it opens like
      an answer, or runs past ASKING_WORDS words without a question or a request.
    Empty turns are the engine's empty_field check (`empty_fields`).
    """
    refusals, repeats, answers = [], [], []
    highest = 0.0
    seen: dict[str, list[list[str]]] = {"user": [], "assistant": []}
    for index, (role, text) in enumerate(turns(content)):
        where = f"{role} {index // 2 + 1}"
        refusal = refusal_check(text)
        if not refusal.passed:
            refusals.append(f"{where}: {refusal.detail}")
        tokens = rouge_tokens(text)
        score = max((rouge_l_f(earlier, tokens) for earlier in seen[role]), default=0.0)
        highest = max(highest, score)
        if score > REPEAT_THRESHOLD:
            repeats.append(f"{where} repeats an earlier {role} turn (ROUGE-L {score:.2f})")
        seen[role].append(tokens)
        simulated = role == "user" and index // 2 + 1 >= simulated_from
        if simulated and text.strip() and _answers(text):
            answers.append(f"{where} answers instead of asking")
    return [
        _turn_check("refusal", refusals),
        _turn_check("repeated_turn", repeats, round(highest, 4)),
        _turn_check("user_asks", answers),
    ]


def _answers(text: str) -> bool:
    if _ANSWER_OPENING.match(text):
        return True
    return not _REQUEST_CUE.search(text) and len(text.split()) > ASKING_WORDS
