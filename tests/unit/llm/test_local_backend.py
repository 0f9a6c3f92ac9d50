"""The embedded SmolLM2 backend on llama.cpp: locating the GGUF, sampling options, real replies."""

from __future__ import annotations

import os

import pytest

from seedbed.llm import BackendConfig, make_backend
from seedbed.llm.base import ChatResult
from seedbed.llm.local_backend import (
    GGUF_FILE,
    MODEL_NAME,
    LocalBackend,
    _options,
    gguf_location,
    load_model,
    thread_count,
)
from seedbed.models import GenerationParams, Message


def test_gguf_location_finds_the_file() -> None:
    folder, name = gguf_location()
    assert name == GGUF_FILE
    assert (folder / name).is_file()


def test_every_sampling_option_reaches_llama_cpp() -> None:
    params = GenerationParams(
        temperature=0.7, top_p=0.5, presence_penalty=2.0, max_tokens=256, stop=["\n16", ""]
    )
    assert _options(params) == {
        "max_tokens": 256,
        "temperature": 0.7,
        "top_p": 0.5,
        "presence_penalty": 2.0,
        "stop": ["\n16"],  # an empty stop string would end every reply at once
    }


def test_make_backend_builds_the_embedded_one() -> None:
    backend = make_backend(BackendConfig())
    assert isinstance(backend, LocalBackend)
    assert backend.model == MODEL_NAME
    assert "offline" in backend.describe()


def test_generation_uses_at_most_half_the_cores() -> None:
    assert 1 <= thread_count() <= max(1, (os.cpu_count() or 2) // 2)


@pytest.mark.slow
def test_a_short_real_generation(embedded_backend: LocalBackend) -> None:
    requests = [
        [Message(role="user", content="Name one colour.")],
        [Message(role="user", content="What is the capital of France?")],
    ]
    seen: list[tuple[int, ChatResult]] = []

    results = embedded_backend.generate(
        requests, GenerationParams(temperature=0, max_tokens=48), lambda i, r: seen.append((i, r))
    )

    assert len(results) == 2
    assert [index for index, _ in seen] == [0, 1]
    assert [result for _, result in seen] == results
    for result in results:
        assert result.error is None
        assert result.text.strip()
        assert result.model == MODEL_NAME
        assert result.usage.prompt_tokens > 0
        assert 0 < result.usage.completion_tokens <= 48
        # Stopped on its own (EOS) exactly when it ended before the limit.
        ended_early = result.usage.completion_tokens < 48
        assert result.finish_reason == ("stop" if ended_early else "length")
    assert "stop" in [result.finish_reason for result in results]  # short answers end
    cut_short = embedded_backend.generate(requests, GenerationParams(temperature=0, max_tokens=2))
    assert [r.finish_reason for r in cut_short] == ["length", "length"]
    # Greedy decoding is deterministic.
    again = embedded_backend.generate(requests, GenerationParams(temperature=0, max_tokens=48))
    assert [r.text for r in again] == [r.text for r in results]


@pytest.mark.slow
def test_a_real_generation_stops_at_the_stop_string(embedded_backend: LocalBackend) -> None:
    request = [Message(role="user", content="List five colours, one per line.")]
    params = GenerationParams(temperature=0, max_tokens=120, stop=["\n"])

    (result,) = embedded_backend.generate([request], params)

    assert result.text and "\n" not in result.text
    assert result.finish_reason == "stop"
    # Stopped at the first line: the tokens generated are the line's and the newline's,
    # not the 120 a run to max_tokens (cut afterwards) would cost.
    kept = len(load_model().tokenize(result.text.encode(), add_bos=False))
    assert result.usage.completion_tokens <= kept + 3


@pytest.mark.slow
def test_a_real_reply_streams_word_by_word_and_stops_at_a_stop_string(
    embedded_backend: LocalBackend,
) -> None:
    pieces: list[str] = []
    messages = [Message(role="user", content="Count from one to ten in words, comma separated.")]
    params = GenerationParams(temperature=0, max_tokens=48, stop=["five"])
    result = embedded_backend.stream(messages, params, pieces.append)

    assert len(pieces) > 1  # it arrived in pieces, not at the end
    assert "".join(pieces).strip() == result.text
    assert "five" not in "".join(pieces)
    assert result.finish_reason == "stop"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    # The same request answered whole gives the same text (greedy decoding).
    [whole] = embedded_backend.generate([messages], params)
    assert whole.text == result.text


@pytest.mark.slow
def test_a_prompt_longer_than_the_context_is_a_failed_request_not_a_crash(
    embedded_backend: LocalBackend,
) -> None:
    huge = [Message(role="user", content="word " * 20_000)]
    [result] = embedded_backend.generate([huge], GenerationParams(max_tokens=8))
    assert result.error and "context" in result.error.lower()
    assert result.text == ""
