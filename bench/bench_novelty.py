"""Benchmark: Seedbed's NoveltyIndex against the reference ROUGE-L novelty filter.

The reference is what Stanford Alpaca's generate_instruction.py does for each new
instruction: score it against every pre-tokenized pool instruction with rouge_score's
`_score_lcs` and drop it when the maximum F-measure is above 0.7. Alpaca spreads those
calls over a multiprocessing Pool; here both sides run in one process on one core.

Run: .venv/bin/python bench/bench_novelty.py [--pool 10000] [--probes 200]
     [--reference-budget 120]
Exits with status 1 if any decision, maximum score or closest text differs from the
reference.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rouge_score import rouge_scorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from seedbed.novelty import NoveltyIndex, rouge_tokens  # noqa: E402

T = TypeVar("T")
THRESHOLD = 0.7
REFERENCE_BUDGET_S = 120.0

TEMPLATES = [
    "Write a {length} {genre} about {topic} for {audience}.",
    "Explain {topic} to {audience} in {count} sentences.",
    "Give {count} tips for {activity}.",
    "Summarize the following article about {topic} in a {tone} tone.",
    "Classify the sentiment of this review of {product} as positive, negative or neutral.",
    "Suggest {count} names for a {adjective} {business}.",
    "Translate the following sentence about {topic} into {language}.",
    "List the pros and cons of {activity} for {audience}.",
    "Rewrite this paragraph about {topic} so that it sounds more {tone}.",
    "What are the main differences between {product} and {other_product}?",
    "Create a {duration} plan for {activity}.",
    "Generate a {tone} email to {recipient} about {event}.",
    "Is the following statement about {topic} true or false? Explain why.",
    "Find the grammatical errors in this {genre} and correct them.",
    "Describe a typical day of {profession} in {place}.",
    "Recommend {count} {genre}s for someone who enjoys {activity}.",
    "Convert this recipe for {dish} into a version for {diet} eaters.",
    "Answer the customer's question about {product} politely.",
    "Write a {tone} product description for a {adjective} {product}.",
    "Identify the {entity} mentioned in the following text about {topic}.",
    "Come up with a {adjective} slogan for a campaign about {topic}.",
    "Outline the steps needed for {activity} on a {adjective} budget.",
    "Compose a {length} {genre} that a {profession} could read to {audience}.",
    "Estimate how long {activity} takes for {audience} and explain your reasoning.",
    "Extract every date and {entity} from this report on {event}.",
]
WORDS = {
    "length": ["short", "long", "brief", "detailed", "one-paragraph", "two-page"],
    "genre": [
        "poem",
        "story",
        "essay",
        "blog post",
        "speech",
        "limerick",
        "haiku",
        "news report",
        "dialogue",
        "letter",
        "review",
        "fable",
        "song",
    ],
    "topic": [
        "climate change",
        "the water cycle",
        "black holes",
        "photosynthesis",
        "the French Revolution",
        "machine learning",
        "healthy sleep",
        "inflation",
        "volcanoes",
        "the immune system",
        "renewable energy",
        "ancient Rome",
        "honeybees",
        "ocean tides",
        "the stock market",
        "vaccines",
        "recycling",
        "quantum computing",
        "the printing press",
        "urban gardening",
        "friendship",
        "time management",
        "the moon landing",
        "coral reefs",
        "electric cars",
        "public libraries",
        "chess openings",
        "jazz history",
        "desert ecosystems",
        "first aid",
        "personal budgeting",
        "the Silk Road",
        "earthquakes",
    ],
    "audience": [
        "children",
        "teenagers",
        "beginners",
        "retirees",
        "new parents",
        "engineers",
        "a five-year-old",
        "high school students",
        "tourists",
        "small business owners",
        "nurses",
        "history teachers",
    ],
    "count": ["three", "five", "seven", "ten", "two", "four", "six"],
    "activity": [
        "learning a new language",
        "running a marathon",
        "baking bread",
        "saving money",
        "studying for exams",
        "starting a podcast",
        "training a puppy",
        "moving to a new city",
        "growing tomatoes",
        "writing a novel",
        "hiking in winter",
        "cooking for a crowd",
        "negotiating a salary",
        "planning a wedding",
        "learning to swim",
        "reducing screen time",
        "camping with kids",
        "public speaking",
    ],
    "tone": [
        "formal",
        "friendly",
        "humorous",
        "persuasive",
        "neutral",
        "enthusiastic",
        "apologetic",
        "concise",
        "optimistic",
    ],
    "product": [
        "wireless headphones",
        "a standing desk",
        "an electric kettle",
        "running shoes",
        "a budget smartphone",
        "a coffee grinder",
        "a tent",
        "noise-cancelling earbuds",
        "a robot vacuum",
        "a mechanical keyboard",
        "a smartwatch",
        "an e-reader",
        "a blender",
        "a bicycle helmet",
    ],
    "other_product": [
        "a laptop stand",
        "a paper notebook",
        "a gas stove",
        "hiking boots",
        "a tablet",
        "a French press",
        "a sleeping bag",
        "a desk lamp",
    ],
    "adjective": [
        "small",
        "eco-friendly",
        "family-run",
        "modern",
        "cozy",
        "tiny",
        "luxury",
        "local",
        "playful",
        "minimalist",
        "rustic",
    ],
    "business": [
        "bakery",
        "bookshop",
        "coffee shop",
        "yoga studio",
        "bike repair shop",
        "flower shop",
        "food truck",
        "pet grooming salon",
        "tea house",
    ],
    "language": [
        "French",
        "Spanish",
        "German",
        "Italian",
        "Portuguese",
        "Dutch",
        "Swedish",
        "Polish",
    ],
    "duration": ["one-week", "30-day", "three-month", "weekend", "daily", "six-week"],
    "recipient": [
        "a landlord",
        "a professor",
        "a new client",
        "the school principal",
        "a hiring manager",
        "a neighbour",
        "the city council",
        "a supplier",
    ],
    "event": [
        "a delayed shipment",
        "a team offsite",
        "a product launch",
        "a missed deadline",
        "a charity run",
        "the annual meeting",
        "a power outage",
    ],
    "profession": [
        "a nurse",
        "a firefighter",
        "a software engineer",
        "a farmer",
        "a pilot",
        "a librarian",
        "a chef",
        "a marine biologist",
        "a teacher",
    ],
    "place": [
        "Tokyo",
        "a small village",
        "Antarctica",
        "a busy hospital",
        "Nairobi",
        "a space station",
        "rural Canada",
        "a lighthouse",
    ],
    "dish": [
        "lasagna",
        "pancakes",
        "chili",
        "banana bread",
        "fried rice",
        "shepherd's pie",
        "carrot cake",
        "tomato soup",
    ],
    "diet": ["vegan", "gluten-free", "low-sodium", "vegetarian", "dairy-free", "keto"],
    "entity": [
        "people",
        "organizations",
        "locations",
        "amounts of money",
        "products",
        "company names",
    ],
}
NOVEL_WORDS = ["zephyrine", "quillwort", "brambleton", "ostravian", "vellichor", "mirthwick"]


def _fill(template: str, rng: random.Random) -> str:
    slots = {key: rng.choice(values) for key, values in WORDS.items()}
    return template.format(**slots)


def _near_duplicate(text: str, rng: random.Random) -> str:
    """One word changed, inserted or deleted: the kind of repeat the filter exists for."""
    words = text.split()
    position = rng.randrange(len(words))
    edit = rng.choice(["swap", "insert", "delete"])
    if edit == "swap":
        words[position] = rng.choice(WORDS["adjective"] + WORDS["tone"])
    elif edit == "insert":
        words.insert(position, rng.choice(["really", "also", "then", "quickly", "please"]))
    elif len(words) > 4:
        del words[position]
    return " ".join(words)


def build_pool(size: int = 10_000, seed: int = 7) -> list[str]:
    """`size` distinct English instructions; about one in twenty repeats an earlier one."""
    rng = random.Random(seed)
    pool: list[str] = []
    seen: set[str] = set()
    while len(pool) < size:
        if pool and rng.random() < 0.05:
            text = _near_duplicate(rng.choice(pool), rng)
        else:
            text = _fill(rng.choice(TEMPLATES), rng)
        if text not in seen:
            seen.add(text)
            pool.append(text)
    return pool


def _tie(pool: list[str], rng: random.Random, target_len: int, kept: int, extra: int) -> str:
    """A probe whose LCS with a pool item of `target_len` tokens is exactly `kept`."""
    item = rng.choice([text for text in pool if len(rouge_tokens(text)) == target_len])
    tokens = rouge_tokens(item)
    keep = sorted(rng.sample(range(target_len), kept))
    return " ".join([tokens[i] for i in keep] + rng.sample(NOVEL_WORDS, extra))


def build_probes(pool: list[str], count: int = 200, seed: int = 11) -> list[str]:
    """New instructions, near-duplicates, exact ties at 0.7 and a few long probes."""
    rng = random.Random(seed)
    probes: list[str] = []
    while len(probes) < count:
        kind = len(probes) % 10
        if kind < 3:
            probes.append(_near_duplicate(rng.choice(pool), rng))
        elif kind < 6:
            probes.append(_fill(rng.choice(TEMPLATES), rng))
        elif kind == 6:  # LCS 7 of 10 and 10 tokens: F == 0.7, kept by the rule
            probes.append(_tie(pool, rng, target_len=10, kept=7, extra=3))
        elif kind == 7:  # LCS 7, lengths 12 and 8: F is 0.7 on paper, 0.7000000000000001 in floats
            probes.append(_tie(pool, rng, target_len=12, kept=7, extra=1))
        elif kind == 8:
            probes.append(" ".join(rng.sample(pool, 6)))  # more than 64 tokens
        else:
            probes.append(f"{rng.choice(pool)} {_fill(rng.choice(TEMPLATES), rng)}")
    return probes


def reference_closest(pool: list[str], probes: list[str]) -> list[tuple[float, str | None]]:
    """Alpaca's approach: `_score_lcs(new, each pool item)`, one process.

    Returns the maximum F-measure and the first pool item that has it, per probe.
    """
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    pool_tokens = [scorer._tokenizer.tokenize(text) for text in pool]
    maxima = []
    for probe in probes:
        probe_tokens = scorer._tokenizer.tokenize(probe)
        scores = [rouge_scorer._score_lcs(probe_tokens, other).fmeasure for other in pool_tokens]
        best = max(scores)
        maxima.append((best, pool[scores.index(best)] if best > 0 else None))
    return maxima


def _timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """Runs `work()`; returns its result with the CPU seconds and wall seconds it took."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument(
        "--reference-budget",
        type=float,
        default=REFERENCE_BUDGET_S,
        help="seconds the reference may take; past that it runs on the first probes only",
    )
    args = parser.parse_args()
    pool = build_pool(args.pool)
    probes = build_probes(pool, args.probes)
    print(f"pool: {len(pool)} instructions; probes: {len(probes)} (near-duplicates, new,")
    print("  exact ties at 0.7, probes over 64 tokens); threshold: F > 0.7 is filtered")
    print("times are CPU seconds of this process (wall seconds in brackets): the machine is shared")

    index, build_cpu, _ = _timed(lambda: NoveltyIndex(pool))
    ours, ours_cpu, ours_wall = _timed(lambda: [index.closest(probe) for probe in probes])
    # Time a few probes first; run the reference on a subset if all would take too long.
    reference, first_cpu, first_wall = _timed(lambda: reference_closest(pool, probes[:5]))
    checked = min(len(probes), max(5, int(args.reference_budget / (first_cpu / 5))))
    rest, rest_cpu, rest_wall = _timed(lambda: reference_closest(pool, probes[5:checked]))
    reference += rest
    reference_cpu, reference_wall = first_cpu + rest_cpu, first_wall + rest_wall

    pairs = list(zip(reference, ours, strict=False))
    same_scores = sum(a[0] == b[0] for a, b in pairs)
    same_closest = sum(a[1] == b[1] for a, b in pairs)
    same_decisions = sum((a[0] > THRESHOLD) == (b[0] > THRESHOLD) for a, b in pairs)
    reference_per_probe, ours_per_probe = reference_cpu / checked, ours_cpu / len(probes)
    print("reference: rouge_score._score_lcs on every pair, single process (Alpaca runs the")
    print("  same calls in a multiprocessing Pool, at best dividing by the number of cores)")
    print(
        f"  {reference_cpu:.1f} s ({reference_wall:.1f}) for {checked} probes"
        f" = {1000 * reference_per_probe:.1f} ms/probe"
    )
    if checked < len(probes):
        print(f"  (ran on the first {checked} probes only: the rest would pass the budget of")
        print(f"   {args.reference_budget:.0f} s; its per-probe time is extrapolated)")
    print(
        f"NoveltyIndex: build {build_cpu:.2f} s; {ours_cpu:.2f} s ({ours_wall:.2f}) for"
        f" {len(probes)} probes = {1000 * ours_per_probe:.2f} ms/probe"
    )
    print(f"filtered (F > 0.7): {sum(score > THRESHOLD for score, _ in ours)} of {len(probes)}")
    print(
        f"identical decisions: {same_decisions}/{checked}; identical max scores: "
        f"{same_scores}/{checked}; identical closest texts: {same_closest}/{checked}"
    )
    amortised = ours_per_probe + build_cpu / len(probes)
    print(
        f"speed-up per probe: {reference_per_probe / ours_per_probe:.0f}x "
        f"({reference_per_probe / amortised:.0f}x counting the index build)"
    )
    return 0 if same_scores == same_closest == same_decisions == checked else 1


if __name__ == "__main__":
    sys.exit(main())
