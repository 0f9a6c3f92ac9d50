"""Streaming the embedded model's replies: several requests per forward batch, each to its page.

A preview sends its requests at once, each on its own thread (seedbed/jobs/senders.py).
One at a time, the model would answer them in turn at one prompt's speed; batched, a
forward pass serves them all for little more than one costs (bench/README.md:
4 prompts batched 58.7 tokens/s against 10.9 for one). So requests that arrive together
wait a moment (`GATHER_SECONDS`) and go into one generation, whose new tokens a
streamer hands to each request's `on_text`, row by row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from seedbed.llm.base import ChatResult, TextCallback
from seedbed.models import GenerationParams, Message

# Long enough for requests a thread pool started together to meet, short against a reply.
GATHER_SECONDS = 0.05

# Answers a batch of requests, streaming each row's text to its callback.
BatchRun = Callable[[Sequence[Sequence[Message]], GenerationParams, Any], list[ChatResult]]


@dataclass
class _Waiting:
    messages: Sequence[Message]
    held: HeldBack
    result: Future[ChatResult] = field(default_factory=Future)


class Gatherer:
    """Puts requests with the same parameters that arrive together into one generation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards `waiting`
        self.turn = threading.Lock()  # one generation at a time
        self.waiting: dict[str, list[_Waiting]] = {}

    def stream(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        on_text: TextCallback,
        run: BatchRun,
        tokenizer: Any,
        batch_size: int,
    ) -> ChatResult:
        """The reply to one request, answered in a batch of up to `batch_size` with those
        waiting beside it; `run` generates a batch."""
        mine = _Waiting(messages, HeldBack(params.stop, on_text))
        key = params.model_dump_json()
        with self.lock:
            self.waiting.setdefault(key, []).append(mine)
        time.sleep(GATHER_SECONDS)
        with self.turn:
            if not mine.result.done():  # no earlier batch took it along
                self._run(self._take(key, mine, batch_size), params, run, tokenizer)
        return mine.result.result()

    def _take(self, key: str, mine: _Waiting, batch_size: int) -> list[_Waiting]:
        with self.lock:
            queue = self.waiting[key]
            queue.remove(mine)
            group = [mine, *queue[: batch_size - 1]]
            del queue[: batch_size - 1]
            if not queue:
                del self.waiting[key]
        return group

    def _run(
        self, group: list[_Waiting], params: GenerationParams, run: BatchRun, tokenizer: Any
    ) -> None:
        try:
            streamer = RowStreamer(tokenizer, [item.held.put for item in group])
            results = run([item.messages for item in group], params, streamer)
        except BaseException as error:
            for item in group:
                item.result.set_exception(error)
            raise
        for item, result in zip(group, results, strict=True):
            item.held.finish()
            item.result.set_result(result)


class RowStreamer:
    """A transformers streamer for a batch: each row's new words go to that row's callback.

    `put` gets the prompt first (skipped), then one token per row for each step; a row
    that ended gets padding, which decodes to nothing. Text is passed on up to its last
    space, so a word split over tokens (or a character over bytes) arrives whole.
    """

    def __init__(self, tokenizer: Any, sinks: Sequence[TextCallback]) -> None:
        self.tokenizer, self.sinks = tokenizer, sinks
        self.tokens: list[list[int]] = [[] for _ in sinks]
        self.sent = [0] * len(sinks)
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        for row, token in enumerate(value.reshape(len(self.sinks), -1)[:, -1].tolist()):
            self.tokens[row].append(int(token))
            self._flush(row, final=False)

    def end(self) -> None:
        for row in range(len(self.sinks)):
            self._flush(row, final=True)

    def _flush(self, row: int, final: bool) -> None:
        text = self.tokenizer.decode(self.tokens[row], skip_special_tokens=True)
        upto = len(text) if final else max(text.rfind(" "), text.rfind("\n")) + 1
        if upto > self.sent[row]:
            self.sinks[row](text[self.sent[row] : upto])
            self.sent[row] = upto


class HeldBack:
    """Passes streamed text on, holding back what may be the start of a stop string.

    Generation ends on the token completing a stop string, and the reply is cut
    there; text that might begin one waits until it cannot, so the page never
    shows a stop string that the stored reply does not have.
    """

    def __init__(self, stops: Sequence[str], on_text: TextCallback) -> None:
        self.stops = [stop for stop in stops if stop]
        self.on_text = on_text
        self.text, self.sent, self.stopped = "", 0, False

    def put(self, piece: str) -> None:
        if self.stopped:
            return
        self.text += piece
        cut = cut_at_stop(self.text, self.stops)
        if cut != self.text:  # a stop string is complete: the reply ends before it
            self.stopped = True
            self._send(len(cut))
            return
        self._send(len(self.text) - self._open_prefix())

    def finish(self) -> None:
        if not self.stopped:
            self._send(len(self.text))

    def _open_prefix(self) -> int:
        """The length of the longest tail of the text that begins some stop string."""
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.text)), longest, -1):
                if self.text.endswith(stop[:size]):
                    longest = size
                    break
        return longest

    def _send(self, upto: int) -> None:
        if upto > self.sent:
            self.on_text(self.text[self.sent : upto])
            self.sent = upto


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """`text` up to its first stop string (the earliest of any)."""
    for stop in stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    return text
