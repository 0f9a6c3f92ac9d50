"""Benchmark: export throughput, and near-duplicate removal against a pure-Python reference.

1. Export: a temporary SQLite store with one project of `--n` accepted candidates (each
   with a review); the whole export (plan, Alpaca, OpenAI chat, ShareGPT and raw files,
   card and recipe, no embedding) is written to a zip. Prints seconds and records/s.
2. Near duplicates: `seedbed.files.splits.deduplicate(mode="near")` (rapidfuzz ratio, greedy,
   first copy wins) against the same greedy loop scoring every pair in pure Python with
   the same measure (100 * 2 * LCS / (len a + len b) over characters, which is what
   rapidfuzz's `fuzz.ratio` computes). Checks that both keep and drop the same texts and
   prints the speed-up.

Run: .venv/bin/python bench/bench_export.py [--n 20000] [--texts 400]
Exits with status 1 if the two de-duplications differ.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from seedbed.files.bundle import ExportOptions, export_to_path  # noqa: E402
from seedbed.files.import_store import ImportItem, store_items  # noqa: E402
from seedbed.files.splits import deduplicate, normalise  # noqa: E402
from seedbed.models import Candidate, CandidateStatus, Project, Review  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

TOPICS = ["the tides", "compound interest", "photosynthesis", "a bicycle gear", "jazz", "rust"]
VERBS = ["Explain", "Summarise", "Describe", "Write a haiku about", "List three facts about"]
AUDIENCES = ["a child", "a new employee", "a retired teacher", "a nurse", "a tourist"]


def instruction(rng: random.Random) -> str:
    text = f"{rng.choice(VERBS)} {rng.choice(TOPICS)} for {rng.choice(AUDIENCES)}"
    if rng.random() < 0.3:
        text += f" in {rng.randint(2, 9)} sentences"
    return text + rng.choice([".", "!", " please.", ""])


def fill(store: Store, n: int) -> Project:
    """`n` accepted candidates, each with its review, inserted in one transaction."""
    rng = random.Random(0)
    project = store.get_project(store.create_project(Project(name="Bench")))
    items = []
    for _ in range(n):
        content = {"instruction": instruction(rng), "input": "", "output": "An answer. " * 8}
        candidate = Candidate(
            project_id=project.id,
            content=content,
            method="self_instruct",
            model="bench-model",
            params={"temperature": 0.7, "top_p": 0.5},
            status=CandidateStatus.ACCEPTED,
            reviewed_by="bench",
        )
        review = Review(candidate_id=0, decision="accepted", annotator="bench")
        items.append(ImportItem(candidate, [review]))
    store_items(store, project.id, items)
    return project


def lcs(a: str, b: str) -> int:
    previous = [0] * (len(b) + 1)
    for char in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if char == other else max(previous[j], current[-1]))
        previous = current
    return previous[-1]


def reference_near(items: list[tuple[int, str]], threshold: float) -> list[int]:
    kept: list[tuple[int, str]] = []
    seen: set[str] = set()
    for item_id, text in items:
        key = normalise(text)
        if key in seen:
            continue
        if any(200 * lcs(key, other) / (len(key) + len(other)) >= threshold for _, other in kept):
            continue
        seen.add(key)
        kept.append((item_id, key))
    return [item_id for item_id, _ in kept]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="candidates to export")
    parser.add_argument("--texts", type=int, default=400, help="texts to de-duplicate")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/bench.db")
        started = time.perf_counter()
        project = fill(store, args.n)
        print(f"filled {args.n} accepted candidates in {time.perf_counter() - started:.1f} s")
        options = ExportOptions(formats=["alpaca", "openai_chat", "sharegpt", "raw"])
        started = time.perf_counter()
        _, facts = export_to_path(store, project, options, Path(folder) / "export.zip")
        seconds = time.perf_counter() - started
        records = sum(f.records for f in facts.files)
        print(
            f"export: {records} records in {len(facts.files)} files + card + recipe: "
            f"{seconds:.2f} s ({args.n / seconds:,.0f} candidates/s)"
        )

    rng = random.Random(1)
    items = [(n, instruction(rng)) for n in range(args.texts)]
    started = time.perf_counter()
    kept, _ = deduplicate(items, "near", threshold=90)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    expected = reference_near(items, threshold=90)
    reference = time.perf_counter() - started
    same = kept == expected
    print(
        f"near-duplicates of {args.texts} texts (ratio >= 90): kept {len(kept)}; "
        f"rapidfuzz {ours * 1000:.1f} ms, pure-Python reference {reference * 1000:.0f} ms, "
        f"{reference / ours:,.0f}x; identical: {same}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
