"""Near-duplicate checks at scale: MinHash and embedding cosine on 100,000 candidates.

Synthetic data with planted near-duplicates (a tenth of the texts are an earlier text
with a few words changed; a tenth of the vectors are an earlier vector plus small
noise). Times both fast paths on the whole set, then runs the pairwise references on
a sample and prints how many keep/drop decisions agree and the speed ratio.
Embeddings here are synthetic: real ones come from the cache (seedbed/insights/embeddings.py).

    /work/main/.venv/bin/python bench/bench_dedup.py [--n 100000] [--sample 3000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from seedbed.duplicates.minhash import (  # noqa: E402
    minhash_duplicates,
    pairwise_minhash_reference,
)
from seedbed.duplicates.semantic import (  # noqa: E402
    pairwise_semantic_reference,
    semantic_duplicates,
)

WORDS = [f"w{i}" for i in range(5000)]


def texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.1:
            words = rng.choice(out).split()
            for _ in range(rng.randint(1, 2)):  # change a word or two
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            out.append(" ".join(words))
        else:
            out.append(" ".join(rng.choices(WORDS, k=rng.randint(12, 40))))
    return out


def vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    """Topic-clustered unit vectors (as sentence embeddings are), a tenth near-copies."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((max(1, n // 100), dim)).astype(np.float32)
    rows = topics[rng.integers(0, len(topics), n)] + 1.2 * rng.standard_normal((n, dim)).astype(
        np.float32
    )
    copies = np.flatnonzero(rng.random(n) < 0.1)
    copies = copies[copies > 0]
    sources = (rng.random(len(copies)) * copies).astype(int)
    rows[copies] = rows[sources] + 0.25 * rng.standard_normal((len(copies), dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def agreement(fast: list[int | None], slow: list[int | None]) -> str:
    same = sum((a is None) == (b is None) for a, b in zip(fast, slow, strict=True))
    dropped = sum(b is not None for b in slow)
    return f"{same}/{len(slow)} keep/drop decisions agree ({dropped} duplicates in the reference)"


def timed(label: str, run) -> tuple[float, list[int | None]]:
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.1f} s, {sum(r is not None for r in result)} duplicates")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=3000)
    args = parser.parse_args()
    corpus, matrix = texts(args.n), vectors(args.n)
    m_full, _ = timed(f"minhash, {args.n} texts", lambda: minhash_duplicates(corpus))
    s_full, _ = timed(f"semantic, {args.n} vectors", lambda: semantic_duplicates(matrix))
    sample, sample_rows = corpus[: args.sample], matrix[: args.sample]
    m_fast, fast = timed(f"minhash, sample {args.sample}", lambda: minhash_duplicates(sample))
    m_ref, slow = timed(
        f"minhash pairwise reference, sample {args.sample}",
        lambda: pairwise_minhash_reference(sample),
    )
    print("  minhash:", agreement(fast, slow), f"ratio {m_ref / m_fast:.1f}x on the sample")
    s_fast, fast = timed(
        f"semantic, sample {args.sample}", lambda: semantic_duplicates(sample_rows)
    )
    s_ref, slow = timed(
        f"semantic pairwise reference, sample {args.sample}",
        lambda: pairwise_semantic_reference(sample_rows),
    )
    print("  semantic:", agreement(fast, slow), f"ratio {s_ref / s_fast:.1f}x on the sample")
    # The references are quadratic: their time on the whole set is the sample's scaled by n².
    scale = (args.n / args.sample) ** 2
    print(
        f"whole set: minhash {m_full:.1f} s vs pairwise ~{m_ref * scale:.0f} s "
        f"(ratio ~{m_ref * scale / m_full:.0f}x); semantic {s_full:.1f} s vs all pairs "
        f"~{s_ref * scale:.0f} s (ratio ~{s_ref * scale / s_full:.0f}x)"
    )


if __name__ == "__main__":
    main()
