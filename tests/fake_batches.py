"""The Batch API part of tests/fake_openai_server.py: /v1/files and /v1/batches.

Just enough of OpenAI's shapes for the real openai client: upload a JSONL file
(multipart, purpose "batch"), create a batch over it, retrieve it (validating,
then in_progress until `seconds` have passed, then completed), list batches,
cancel one, and download its output and error files. Each line is answered like
a direct chat request (the fake's replies, faults and statuses) when the batch
completes, and recorded as a request with method "BATCH".
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_openai_server import FakeOpenAIServer

Reply = tuple[int, Any]  # (HTTP status, JSON body or raw bytes)
_ENDED = ("completed", "failed", "expired", "cancelled")


class FakeBatchAPI:
    """Files and batches of one fake server.

    `seconds`: how long a batch stays in progress. `expire_after`: a script,
    one entry per batch that ends: it answers only that many lines, then
    expires (the rest get `batch_expired`); None or an empty script answers all.
    `refuse`: every batch fails validation with this message.
    """

    def __init__(
        self,
        fake: FakeOpenAIServer,
        *,
        seconds: float = 0.0,
        expire_after: Iterable[int | None] = (),
        refuse: str | None = None,
    ) -> None:
        self.fake, self.seconds = fake, seconds
        self.expire_after, self.refuse = deque(expire_after), refuse
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> Reply | None:
        """The reply to a files or batches request; None for other paths."""
        parts = path.split("?")[0].strip("/").split("/")  # ["v1", "batches", id, ...]
        if parts[:2] == ["v1", "files"]:
            if method == "POST" and len(parts) == 2:
                return self._upload(headers.get("Content-Type", ""), raw)
            if method == "GET" and len(parts) == 4 and parts[3] == "content":
                return self._content(parts[2])
        if parts[:2] == ["v1", "batches"]:
            with self._lock:
                if method == "POST" and len(parts) == 2:
                    return self._create(json.loads(raw or b"{}"))
                if method == "GET" and len(parts) == 2:
                    data = [self._look(b) for b in reversed(list(self.batches.values()))]
                    return 200, {"object": "list", "data": data, "has_more": False}
                if len(parts) >= 3 and parts[2] not in self.batches:
                    return 404, _error(f"No batch with id '{parts[2]}'.")
                if method == "GET" and len(parts) == 3:
                    return 200, self._look(self.batches[parts[2]])
                if method == "POST" and parts[3:] == ["cancel"]:
                    return 200, self._cancel(self.batches[parts[2]])
        return None

    # -- files --

    def _upload(self, content_type: str, raw: bytes) -> Reply:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=policy.default).parsebytes(head + raw)
        fields = {
            part.get_param("name", header="content-disposition"): part
            for part in message.iter_parts()
        }
        if "file" not in fields or fields.get("purpose") is None:
            return 400, _error("A file and a purpose are required.")
        content = fields["file"].get_payload(decode=True)
        purpose = fields["purpose"].get_payload(decode=True).decode()
        return 200, self._file(fields["file"].get_filename() or "upload", purpose, content)

    def _file(self, name: str, purpose: str, content: bytes) -> dict[str, Any]:
        file_id = f"file-fake-{next(self._ids)}"
        self.files[file_id] = {"name": name, "purpose": purpose, "content": content}
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }

    def _content(self, file_id: str) -> Reply:
        if file_id not in self.files:
            return 404, _error(f"No file with id '{file_id}'.")
        return 200, self.files[file_id]["content"]

    def input_lines(self, batch_id: str) -> list[dict[str, Any]]:
        """The request lines a batch was created with."""
        content = self.files[self.batches[batch_id]["input_file_id"]]["content"]
        return [json.loads(line) for line in content.decode().splitlines() if line.strip()]

    # -- batches --

    def _create(self, body: dict[str, Any]) -> Reply:
        if body.get("input_file_id") not in self.files:
            return 400, _error("input_file_id names no uploaded file.")
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return 400, _error("Only /v1/chat/completions in a 24h window.")
        batch_id = f"batch_fake_{next(self._ids)}"
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": body["endpoint"],
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "created_at": int(time.time()),
            "metadata": body.get("metadata"),
            "errors": None,
            "output_file_id": None,
            "error_file_id": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "_started": time.monotonic(),
        }
        return 200, self._look(self.batches[batch_id], advance=False)

    def _look(self, batch: dict[str, Any], advance: bool = True) -> dict[str, Any]:
        """The batch as a client sees it, moved on by the time that passed."""
        if advance and batch["status"] not in _ENDED:
            if self.refuse is not None:
                batch["status"] = "failed"
                batch["errors"] = {
                    "object": "list",
                    "data": [{"code": "invalid", "message": self.refuse}],
                }
            elif batch["status"] == "cancelling":
                self._finish(batch, "cancelled", answered=0)
            elif time.monotonic() - batch["_started"] < self.seconds:
                batch["status"] = "in_progress"
            else:
                answered = self.expire_after.popleft() if self.expire_after else None
                self._finish(batch, "completed", answered=answered)
        return {key: value for key, value in batch.items() if not key.startswith("_")}

    def _cancel(self, batch: dict[str, Any]) -> dict[str, Any]:
        if batch["status"] not in _ENDED:
            batch["status"] = "cancelling"
        return self._look(batch, advance=False)

    def _finish(self, batch: dict[str, Any], status: str, answered: int | None) -> None:
        """Answer the lines (the first `answered` of them; all when None), write the files."""
        lines = self.input_lines(batch["id"])
        answers, errors = [], []
        for index, line in enumerate(lines):
            if answered is not None and index >= answered:
                code = "batch_expired" if status == "completed" else "batch_cancelled"
                errors.append(_line(line, None, {"code": code, "message": "Not run in time."}))
                continue
            self.fake._record_batch_line(line["body"])
            status_code, body = self.fake._answer(line["body"])
            (answers if status_code == 200 else errors).append(
                _line(line, {"status_code": status_code, "request_id": "req_fake", "body": body})
            )
        if answered is not None and status == "completed" and errors:
            status = "expired"
        batch["status"] = status
        batch["request_counts"] = {
            "total": len(lines),
            "completed": len(answers),
            "failed": len(errors),
        }
        for key, rows in (("output_file_id", answers), ("error_file_id", errors)):
            if rows:
                content = "".join(json.dumps(row) + "\n" for row in rows).encode()
                batch[key] = self._file(f"{batch['id']}_{key}.jsonl", "batch_output", content)["id"]


def _line(
    request: dict[str, Any], response: dict[str, Any] | None, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": f"batch_req_{request['custom_id']}",
        "custom_id": request["custom_id"],
        "response": response,
        "error": error,
    }


def _error(message: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    }
