"""A preview job whose replies appear on the page as the model writes them.

The job runs on a worker thread, because the engine hands over pieces of text
from its own threads while Streamlit elements may only be written by the script
thread: the pieces travel through a queue, and the script thread shows each
request's reply in its own box as it grows. The text goes out with st.text, not
st.write_stream, which would render model output as markdown and can follow only
one reply at a time (an OpenAI-compatible server answers several at once).
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import streamlit as st

from seedbed.jobs import runner
from seedbed.jobs.state import JobProgress, RequestRecord
from seedbed.store.core import Store

_END = ("end",)


def run_preview(store: Store, job_id: int, api_key: str | None, bar: Any) -> None:
    """Run job `job_id` to its end, streaming every reply into the page and `bar`.

    Raises what the run raised (a JobError when it could not start).
    """
    events: queue.Queue[tuple[Any, ...]] = queue.Queue()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            runner.run_job(
                store,
                job_id,
                api_key,
                on_progress=lambda progress: events.put(("progress", progress)),
                on_text=lambda record, piece: events.put(("text", record, piece)),
            )
        except BaseException as error:  # handed to the script thread, raised there
            failure.append(error)
        finally:
            events.put(_END)

    threading.Thread(target=work, name=f"preview-{job_id}", daemon=True).start()
    replies = _Replies()
    ended = False
    while not ended:
        batch = [events.get()]
        while not events.empty():  # draw once for all that arrived meanwhile
            batch.append(events.get_nowait())
        for event in batch:
            if event == _END:
                ended = True
            elif event[0] == "progress":
                _show_progress(bar, event[1])
            else:
                replies.add(event[1], event[2])
        replies.draw()
    if failure:
        raise failure[0]


def _show_progress(bar: Any, progress: JobProgress) -> None:
    done = min(progress.stored / progress.n, 1.0) if progress.n else 0.0
    bar.progress(done, text=f"{progress.stored} of {progress.n} candidates")


class _Replies:
    """A box per request, in the order their first words arrived, redrawn when it grew."""

    def __init__(self) -> None:
        self.texts: dict[int, str] = {}
        self.boxes: dict[int, Any] = {}
        self.changed: set[int] = set()

    def add(self, record: RequestRecord, piece: str) -> None:
        if record.id not in self.boxes:
            with st.container(border=True):
                st.caption(f"Request {len(self.boxes) + 1} · stage {record.request.stage}")
                self.boxes[record.id] = st.empty()
        self.texts[record.id] = self.texts.get(record.id, "") + piece
        self.changed.add(record.id)

    def draw(self) -> None:
        for request_id in self.changed:
            self.boxes[request_id].text(self.texts[request_id])
        self.changed.clear()
