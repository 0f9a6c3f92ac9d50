"""Streaming the embedded model: stop strings held back, rows to their requests, batching."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest
import torch

from seedbed.llm import local_stream
from seedbed.llm.base import ChatResult
from seedbed.llm.local_stream import Gatherer, HeldBack, RowStreamer, cut_at_stop
from seedbed.models import GenerationParams, Message


def test_stop_sequences_cut_the_text() -> None:
    stops = ["\n16", "16."]
    assert cut_at_stop("14. a\n15. b\n16. c", stops) == "14. a\n15. b"
    assert cut_at_stop("no stop here", stops) == "no stop here"


def test_streamed_text_never_shows_a_stop_string() -> None:
    shown: list[str] = []
    held = HeldBack(["\n16", "###"], shown.append)
    for piece in ["14. a\n", "15. b", "\n1", "6. c", " more"]:
        held.put(piece)
    held.finish()
    assert "".join(shown) == "14. a\n15. b"


def test_streamed_text_passes_on_what_cannot_start_a_stop_string() -> None:
    shown: list[str] = []
    held = HeldBack(["###"], shown.append)
    held.put("a #")
    assert "".join(shown) == "a "  # "#" may begin "###": held back for now
    held.put("1 b")
    assert "".join(shown) == "a #1 b"
    held.put(" ##")
    held.finish()  # the reply ended: what was held back is part of it
    assert "".join(shown) == "a #1 b ##"


class WordTokenizer:
    """Token i is word i of `words`; 0 is padding (a special token)."""

    words = ["<pad>", "one ", "two ", "three", "\n", "four"]

    def decode(self, tokens: Sequence[int], skip_special_tokens: bool = True) -> str:
        return "".join(self.words[t] for t in tokens if t != 0)


def test_each_row_of_a_batch_streams_to_its_own_request_in_whole_words() -> None:
    rows: list[list[str]] = [[], []]
    streamer = RowStreamer(WordTokenizer(), [rows[0].append, rows[1].append])
    streamer.put(torch.tensor([[9, 9], [9, 9]]))  # the prompt: not part of the reply
    for step in ([1, 2], [3, 0], [4, 0], [5, 0]):  # row 2 ended after "two "
        streamer.put(torch.tensor(step))
    streamer.end()
    assert rows[0] == ["one ", "three\n", "four"]  # "three" waited for the line break
    assert rows[1] == ["two "]


def test_requests_sent_together_share_one_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_stream, "GATHER_SECONDS", 0.5)  # threads start late under load
    batches: list[int] = []

    def run(batch: Sequence[Sequence[Message]], params: GenerationParams, streamer: Any):
        batches.append(len(batch))
        streamer.put(torch.zeros((len(batch), 1), dtype=torch.long))
        streamer.put(torch.tensor([1] * len(batch)))
        streamer.end()
        return [ChatResult(text=f"reply to {m[0].content}") for m in batch]

    gatherer, params = Gatherer(), GenerationParams()
    shown: dict[str, list[str]] = {}
    results: dict[str, ChatResult] = {}

    def ask(text: str) -> None:
        pieces = shown.setdefault(text, [])
        messages = [Message(role="user", content=text)]
        results[text] = gatherer.stream(messages, params, pieces.append, run, WordTokenizer(), 4)

    threads = [threading.Thread(target=ask, args=(f"q{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(batches) == [2, 4]  # six requests at once: a batch of four, then two
    assert {text: result.text for text, result in results.items()} == {
        f"q{i}": f"reply to q{i}" for i in range(6)
    }
    assert all(pieces == ["one "] for pieces in shown.values())
