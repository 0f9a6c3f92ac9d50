"""A real local HTTP server speaking the parts of OpenAI's API that Seedbed uses.

Tests point the real openai client at it, so retries, timeouts and error
mapping are exercised end to end. In-process use::

    with FakeOpenAIServer(models=["fake-model"], api_key="test-key") as server:
        backend = OpenAIBackend("fake-model", api_key="test-key", base_url=server.base_url)

As a separate process (for kill-mid-run tests)::

    python -m tests.fake_openai_server --port 0 --delay 0.5 --log requests.jsonl

prints the base URL on the first stdout line and serves until killed; `--log`
appends every chat request it answers (directly or in a batch) as a JSON line.
The Batch API (/v1/files, /v1/batches) is in tests/fake_batches.py.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

from tests.fake_batches import FakeBatchAPI

ChatMessages = list[dict[str, Any]]
ReplyFn = Callable[[ChatMessages], str | None]
DelayFn = Callable[[ChatMessages], float]
StatusFn = Callable[[ChatMessages], int | None]
# A way to misbehave: an HTTP error status, "malformed" (a 200 whose body is not
# JSON), "drop" (close the connection without answering), or None (behave).
Fault = int | Literal["malformed", "drop"] | None
FaultFn = Callable[[ChatMessages], Fault]

DEFAULT_MODELS = ("fake-model",)
_task_counter = itertools.count(1)


def numbered_tasks_reply(messages: ChatMessages) -> str:
    """Default reply: a numbered list of three short, distinct tasks."""
    n = next(_task_counter)
    return "\n".join(f"{i}. Write a short note about topic {n}-{i}." for i in range(1, 4))


def _count_tokens(text: str) -> int:
    # Whitespace words are close enough for usage bookkeeping in tests.
    return len(text.split())


@dataclass
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None

    @property
    def messages(self) -> ChatMessages:
        """The chat messages of a chat request ([] for other requests)."""
        return list((self.body or {}).get("messages", []))


class FakeOpenAIServer:
    """OpenAI-shaped `POST /v1/chat/completions` and `GET /v1/models` on 127.0.0.1.

    Behaviour, checked in this order for each chat request:
    `api_key` (401 if the bearer token differs; None accepts anything),
    `models` (404 model_not_found for other names; None accepts any model),
    `serial` (one request at a time, the rest queued),
    `delay` / `delay_for(messages)` seconds of sleep, `faults` (a script of
    misbehaviours, one per request: an error status, "malformed" or "drop"),
    `fault_for(messages)` (a misbehaviour for matching requests), `statuses` (a
    script of error codes, one per request), `status_for(messages)` (an error
    code for matching requests), then the reply: the next of `replies`, else
    `reply(messages)`. A reply of None yields a completion with no choices; one of
    at least max_tokens words has finish_reason "length". A request with
    `stream: true` gets the same reply as server-sent events, a word per chunk
    (`stream_delay` seconds apart), with a usage chunk when `stream_options` asks.

    Error replies carry `retry-after: <retry_after>` (default 0) plus
    `retry-after-ms` (the openai client ignores a zero `retry-after` and would
    back off ~0.5 s; the ms header keeps retry tests fast). Pass
    `retry_after_ms=None` to leave it out.
    """

    def __init__(
        self,
        *,
        reply: ReplyFn = numbered_tasks_reply,
        replies: Iterable[str | None] = (),
        api_key: str | None = None,
        models: Sequence[str] | None = None,
        delay: float = 0.0,
        delay_for: DelayFn | None = None,
        statuses: Iterable[int] = (),
        status_for: StatusFn | None = None,
        faults: Iterable[Fault] = (),
        fault_for: FaultFn | None = None,
        retry_after: float = 0,
        reply_model: str | None = None,
        include_usage: bool = True,
        retry_after_ms: int | None = 10,
        host: str = "127.0.0.1",
        port: int = 0,
        batch_api: bool = True,
        batch_seconds: float = 0.0,
        log_path: str | None = None,
        serial: bool = False,
        stream_delay: float = 0.0,
    ) -> None:
        self.reply = reply
        self.replies: deque[str | None] = deque(replies)
        self.api_key = api_key
        self.models = list(models) if models is not None else None
        self.delay = delay
        self.delay_for = delay_for
        # serial: one chat request at a time, as llama.cpp with one slot; the others
        # wait their turn, and their delay starts when it comes.
        self._turn = threading.Lock() if serial else contextlib.nullcontext()
        self.statuses: deque[int] = deque(statuses)
        self.status_for = status_for
        self.faults: deque[Fault] = deque(faults)
        self.fault_for = fault_for
        self.retry_after = retry_after
        self.reply_model = reply_model
        self.include_usage = include_usage
        self.retry_after_ms = retry_after_ms
        self.stream_delay = stream_delay
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._ids = itertools.count(1)
        # The Batch API; None answers 404 like vLLM, Ollama and llama.cpp do.
        self.batch_api = FakeBatchAPI(self, seconds=batch_seconds) if batch_api else None
        self._log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL to hand to the openai client, e.g. http://127.0.0.1:PORT/v1."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        """Serve on a daemon thread; returns self."""
        # A short poll interval makes stop() return quickly (the default is 0.5 s).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow handlers wake up at once instead of finishing their sleep."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- observations ----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat completion requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def max_in_flight(self) -> int:
        """The most chat requests that were being handled at the same moment."""
        with self._lock:
            return self._max_in_flight

    # --- used by the handler ---------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            if self._log is not None and request.path.rstrip("/").endswith("/chat/completions"):
                self._log.write(json.dumps({"via": request.method, "body": request.body}) + "\n")

    def _record_batch_line(self, body: dict[str, Any]) -> None:
        self._record(RecordedRequest("BATCH", "/v1/chat/completions", {}, body))

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A batch line's reply as (status, JSON), by the same rules as a direct request."""
        model, messages = str(body.get("model", "")), list(body.get("messages", []))
        if self.models is not None and model not in self.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return 404, _error_body(404, message, "model_not_found", "invalid_request_error")
        fault = self._next_fault(messages)
        if fault is not None:
            status = fault if isinstance(fault, int) else 500
            message, code, kind = _STATUS_ERRORS.get(status, ("Fake error.", None, "server_error"))
            return status, _error_body(status, message, code, kind)
        return 200, self._completion(body, self._next_reply(messages))

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _next_fault(self, messages: ChatMessages) -> Fault:
        with self._lock:
            if self.faults:
                return self.faults.popleft()
        fault = self.fault_for(messages) if self.fault_for else None
        if fault is not None:
            return fault
        with self._lock:
            if self.statuses:
                return self.statuses.popleft()
        return self.status_for(messages) if self.status_for else None

    def _next_reply(self, messages: ChatMessages) -> str | None:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        return self.reply(messages)

    def _completion(self, request: dict[str, Any], text: str | None) -> dict[str, Any]:
        model, messages = str(request.get("model", "")), list(request.get("messages", []))
        choices = []
        if text is not None:
            # A reply that fills max_tokens reports it as a server does (the text is not cut).
            limit = request.get("max_tokens")
            full = limit is not None and _count_tokens(text) >= limit
            choices = [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "length" if full else "stop",
                    "logprobs": None,
                }
            ]
        body: dict[str, Any] = {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.reply_model or model,
            "choices": choices,
        }
        if self.include_usage:
            prompt = sum(_count_tokens(str(m.get("content", ""))) for m in messages)
            completion = _count_tokens(text or "")
            body["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        return body

    def _model_list(self) -> dict[str, Any]:
        names = self.models if self.models is not None else list(DEFAULT_MODELS)
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]
        return {"object": "list", "data": data}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not wait for slow handlers on close; they are daemon threads anyway.
    block_on_close = False
    fake: FakeOpenAIServer


def _stream_chunks(completion: dict[str, Any], request: dict[str, Any]) -> list[dict[str, Any]]:
    """`completion` as the chunks of a stream: a word (with its spacing) per delta."""
    head = {key: completion[key] for key in ("id", "created", "model")}
    head["object"] = "chat.completion.chunk"
    chunks = []
    for choice in completion["choices"]:
        words = re.findall(r"\s*\S+\s*", choice["message"]["content"]) or [""]
        for word in words:
            delta = {"index": 0, "delta": {"content": word}, "finish_reason": None}
            chunks.append({**head, "choices": [delta]})
        end = {"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}
        chunks.append({**head, "choices": [end]})
    if (request.get("stream_options") or {}).get("include_usage") and "usage" in completion:
        chunks.append({**head, "choices": [], "usage": completion["usage"]})
    return chunks


def _error_body(status: int, message: str, code: str | None, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


_STATUS_ERRORS: dict[int, tuple[str, str | None, str]] = {
    429: ("Rate limit reached for requests (fake).", "rate_limit_exceeded", "requests"),
    500: ("The server had an error while processing your request.", None, "server_error"),
    502: ("Bad gateway.", None, "server_error"),
    503: ("The engine is currently overloaded.", None, "server_error"),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        """Silence the per-request stderr log."""

    @property
    def fake(self) -> FakeOpenAIServer:
        return self.server.fake

    def do_GET(self) -> None:
        self.fake._record(RecordedRequest("GET", self.path, dict(self.headers), None))
        if self._batch_api("GET", b""):
            return
        if self.path.rstrip("/") != "/v1/models":
            self._send_error(404, "Unknown path.", "unknown_url", "invalid_request_error")
        elif self._authorized():
            self._send_json(200, self.fake._model_list())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self._batch_api("POST", raw):
            return
        body = json.loads(raw or b"{}")
        self.fake._record(RecordedRequest("POST", self.path, dict(self.headers), body))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(404, "Unknown path.", "unknown_url", "invalid_request_error")
            return
        self.fake._enter()
        try:
            self._chat(body)
        finally:
            self.fake._leave()

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.fake
        model, messages = str(body.get("model", "")), list(body.get("messages", []))
        if not self._authorized():
            return
        if fake.models is not None and model not in fake.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            self._send_error(404, message, "model_not_found", "invalid_request_error")
            return
        with fake._turn:
            self._answer_chat(body, messages)

    def _answer_chat(self, body: dict[str, Any], messages: ChatMessages) -> None:
        fake = self.fake
        fake._sleep(fake.delay + (fake.delay_for(messages) if fake.delay_for else 0.0))
        fault = fake._next_fault(messages)
        if fault == "drop":
            self.close_connection = True  # no reply at all: the client sees a closed socket
            return
        if fault == "malformed":
            self._send_raw(200, b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess')
            return
        if isinstance(fault, int) and fault >= 400:
            message, code, kind = _STATUS_ERRORS.get(fault, ("Fake error.", None, "server_error"))
            self._send_error(fault, message, code, kind)
            return
        completion = fake._completion(body, fake._next_reply(messages))
        if body.get("stream"):
            self._send_events(_stream_chunks(completion, body))
        else:
            self._send_json(200, completion)

    def _send_events(self, chunks: Iterable[dict[str, Any]]) -> None:
        """Server-sent events, one chunk each, then [DONE]; the connection closes after."""
        self.close_connection = True  # no Content-Length: the end of the body is the close
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for index, chunk in enumerate(chunks):
                if index:
                    self.fake._sleep(self.fake.stream_delay)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _batch_api(self, method: str, raw: bytes) -> bool:
        """Answer a files or batches request; False when the path is not one."""
        api = self.fake.batch_api
        if api is None or not self.path.startswith(("/v1/files", "/v1/batches")):
            return False
        if method == "POST":
            self.fake._record(RecordedRequest("POST", self.path, dict(self.headers), None))
        if not self._authorized():
            return True
        reply = api.handle(method, self.path, self.headers, raw)
        if reply is None:
            self._send_error(404, "Unknown path.", "unknown_url", "invalid_request_error")
        elif isinstance(reply[1], bytes):
            self._send_raw(*reply)
        else:
            self._send_json(*reply)
        return True

    def _authorized(self) -> bool:
        expected = self.fake.api_key
        if expected is None or self.headers.get("Authorization") == f"Bearer {expected}":
            return True
        # Like OpenAI, but without quoting any part of the key back.
        message = "Incorrect API key provided. You can find your API key in your account."
        self._send_error(401, message, "invalid_api_key", "invalid_request_error")
        return False

    def _send_error(self, status: int, message: str, code: str | None, kind: str) -> None:
        headers = {}
        if status == 429 or status >= 500:
            headers["retry-after"] = f"{self.fake.retry_after:g}"
            if self.fake.retry_after_ms is not None:
                headers["retry-after-ms"] = str(self.fake.retry_after_ms)
        self._send_json(status, _error_body(status, message, code, kind), headers)

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the reply was ready


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until killed, printing the base URL as the first stdout line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--api-key", default=None, help="required bearer token (default: none)")
    parser.add_argument("--model", action="append", help="known model (repeat); default: any")
    parser.add_argument("--log", help="append each chat request answered to this JSONL file")
    parser.add_argument("--no-batch-api", action="store_true", help="answer 404 on /v1/batches")
    parser.add_argument("--batch-seconds", type=float, default=0.0, help="a batch's run time")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(
        api_key=args.api_key,
        models=args.model,
        delay=args.delay,
        host=args.host,
        port=args.port,
        batch_api=not args.no_batch_api,
        batch_seconds=args.batch_seconds,
        log_path=args.log,
    )
    print(server.base_url, flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
