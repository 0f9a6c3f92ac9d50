"""Benchmark: tokens per second of the embedded model against the backend it replaced.

The reference is a faithful copy of the first generation path (below): transformers
reading the GGUF dequantised to float32, torch's default thread count, generation to
`max_tokens` and the stop strings cut afterwards. Seedbed's `LocalBackend` (llama.cpp
in-process, its own thread count, stop strings and EOS ending a reply while it
generates) answers the same requests in the same run. Three cases, reference and
Seedbed one after the other in each, greedy decoding:

- one prompt, `--tokens` new tokens at most;
- 4 prompts (batched by the reference, one after another by llama.cpp), the same;
- a Self-Instruct-like list with a stop string that ends it early (the reference writes
  on to `--stop-tokens`, as the old backend did; tokens/s then counts only the tokens
  it kept, which is what a user waits for).

Prints tokens/s of both and their ratio per case. Both models are loaded once (the
load is not timed; about 20 s each on 2 idle cores).

With `--llama-python PATH` (the interpreter of an environment where llama-cpp-python's
server extras are installed: fastapi, uvicorn, sse-starlette, starlette-context,
pydantic-settings) the same GGUF is also served by llama.cpp's OpenAI-compatible server,
with the same thread count as Seedbed's, and each case is asked of it through Seedbed's
OpenAI backend (the 4 prompts as 4 concurrent requests): a third column and Seedbed's
ratio to it, the in-process engine against the same engine behind HTTP.

Run: .venv/bin/python bench/bench_embedded.py [--tokens 64] [--stop-tokens 256]
         [--llama-python /path/to/venv/bin/python]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402

from seedbed.llm.base import ChatResult  # noqa: E402
from seedbed.llm.local_backend import (  # noqa: E402
    MODEL_NAME,
    LocalBackend,
    gguf_location,
    load_model,
    thread_count,
)
from seedbed.llm.openai_backend import OpenAIBackend  # noqa: E402
from seedbed.models import GenerationParams, Message, Usage  # noqa: E402
from tests.servers import free_port  # noqa: E402

DEFAULT_THREADS = torch.get_num_threads()  # what the old backend ran with: it never set it

PROMPTS = [
    "Write a short story about a robot who learns to paint.",
    "Explain how a bicycle gear works to a ten-year-old.",
    "Give three tips for keeping houseplants alive in winter.",
    "Describe the water cycle in a few sentences.",
]
LIST_PROMPT = (
    "Come up with a list of 10 diverse task instructions for training an assistant. "
    "Number them 1. to 10., one per line."
)


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to its first stop string, as the reference cut it after generating."""
    for stop in stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    return text


def reference_load() -> tuple[Any, Any]:
    """The previous backend's load: the GGUF dequantised to float32."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = gguf_location()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=name)
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=name, dtype=torch.float32)
    model.eval()
    return tokenizer, model


def reference_generate(
    loaded: tuple[Any, Any], batch: Sequence[Sequence[Message]], params: GenerationParams
) -> list[ChatResult]:
    """The previous `_generate_batch`: to max_tokens (or EOS), stop strings cut afterwards."""
    tokenizer, model = loaded
    torch.set_num_threads(DEFAULT_THREADS)
    texts = [
        tokenizer.apply_chat_template(
            [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
        )
        for messages in batch
    ]
    kwargs: dict[str, Any] = {"max_new_tokens": params.max_tokens}
    kwargs.update(pad_token_id=tokenizer.pad_token_id, do_sample=False)
    with torch.inference_mode():
        encoded = tokenizer(texts, return_tensors="pt", padding=True)
        output = model.generate(**encoded, **kwargs)
    prompt_length = encoded["input_ids"].shape[1]
    results = []
    for row, mask in zip(output, encoded["attention_mask"], strict=True):
        new_tokens = row[prompt_length:]
        completion = new_tokens[new_tokens != tokenizer.pad_token_id]
        text = cut_at_stop(tokenizer.decode(completion, skip_special_tokens=True), params.stop)
        usage = Usage(prompt_tokens=int(mask.sum()), completion_tokens=len(completion))
        results.append(ChatResult(text=text.strip(), model=MODEL_NAME, usage=usage))
    return results


def kept_tokens(tokenizer: Any, results: list[ChatResult]) -> int:
    """Tokens of the text the user gets (after any stop string), summed over results."""
    return sum(len(tokenizer(result.text)["input_ids"]) for result in results)


def timed(run: Callable[[], list[ChatResult]]) -> tuple[float, list[ChatResult]]:
    started = time.perf_counter()
    results = run()
    return time.perf_counter() - started, results


@contextlib.contextmanager
def llama_server(python: str):
    """llama.cpp's OpenAI-compatible server on the same GGUF; yields a backend for it."""
    folder, name = gguf_location()
    port = free_port()
    command = [python, "-m", "llama_cpp.server", "--model", str(folder / name)]
    command += ["--port", str(port), "--n_ctx", "2048", "--n_threads", str(thread_count())]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    backend = OpenAIBackend(model=name, api_key="none", base_url=f"http://127.0.0.1:{port}/v1")
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(Exception):
                if not backend.generate(
                    [[Message(role="user", content="Hi")]],
                    GenerationParams(temperature=0, max_tokens=2),
                )[0].error:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("llama.cpp's server did not start")
            time.sleep(1)
        yield backend
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64, help="max new tokens per prompt")
    parser.add_argument("--stop-tokens", type=int, default=256, help="max_tokens of the list")
    parser.add_argument("--llama-python", help="a Python with llama-cpp-python's server")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        llama = stack.enter_context(llama_server(args.llama_python)) if args.llama_python else None
        run(args, llama)


def run(args: argparse.Namespace, llama: OpenAIBackend | None) -> None:
    reference = reference_load()
    tokenizer, _ = reference
    load_model()
    backend = LocalBackend()
    one = [[Message(role="user", content=PROMPTS[0])]]
    four = [[Message(role="user", content=prompt)] for prompt in PROMPTS]
    listing = [[Message(role="user", content=LIST_PROMPT)]]
    greedy = GenerationParams(temperature=0, max_tokens=args.tokens)
    stopping = GenerationParams(temperature=0, max_tokens=args.stop_tokens, stop=["\n4."])
    warm = GenerationParams(temperature=0, max_tokens=4)
    reference_generate(reference, one, warm)
    backend.generate(one, warm)
    if llama is not None:
        llama.generate(one, warm)

    cases = [("1 prompt", one, greedy), ("4 batched", four, greedy)]
    cases.append(("list, stop string", listing, stopping))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average {load}; reference threads {DEFAULT_THREADS}, torch {torch.__version__}")
    for label, requests, params in cases:
        old_seconds, old = timed(lambda r=requests, p=params: reference_generate(reference, r, p))
        new_seconds, new = timed(lambda r=requests, p=params: backend.generate(r, p))
        old_rate = kept_tokens(tokenizer, old) / old_seconds
        new_rate = kept_tokens(tokenizer, new) / new_seconds
        line = (
            f"{label:18} reference {old_rate:6.1f} tokens/s ({old_seconds:5.1f} s)  "
            f"seedbed {new_rate:6.1f} tokens/s ({new_seconds:5.1f} s)  "
            f"{new_rate / old_rate:4.1f}x"
        )
        if llama is not None:
            cpp_seconds, cpp = timed(lambda r=requests, p=params: llama.generate(r, p))
            assert not any(result.error for result in cpp), [r.error for r in cpp]
            cpp_rate = kept_tokens(tokenizer, cpp) / cpp_seconds
            line += f"  llama.cpp {cpp_rate:6.1f} tokens/s ({cpp_seconds:5.1f} s)"
            line += f"  seedbed/llama.cpp {new_rate / cpp_rate:.2f}x"
        print(line)
        if any(stop in result.text for result in new for stop in params.stop):
            sys.exit("a stop string was left in Seedbed's text")


if __name__ == "__main__":
    main()
