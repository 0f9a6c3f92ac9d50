"""Long work on a thread of the server, watched from the page.

Work that takes more than a few seconds (the utility check, embedding hundreds of new
texts) runs here instead of in the page's script, so the page and the other pages keep
answering. A small fragment polls the work's counts once a second while it runs and
reruns the page when it is done; nothing polls once it is. Work is shared by key: two
sessions asking for the same thing watch one thread.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from seedbed.errors import SeedbedError

KEPT = 16  # finished works kept per server process (each holds a small result)
POLL_SECONDS = 1.0


@dataclass
class Work:
    """One piece of work running (or run) on a server thread; the thread writes, pages read."""

    what: str = ""
    done: int = 0
    todo: int = 0
    started: float = field(default_factory=time.monotonic)
    result: Any = None
    error: str | None = None
    ended: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.ended.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for the work to end (quick work then shows at once)."""
        return self.ended.wait(seconds)

    def progress(self, what: str, done: int, todo: int) -> None:
        if what != self.what or done == 0:
            self.started = time.monotonic()  # the pace of this part only
        self.what, self.done, self.todo = what, done, todo


@st.cache_resource(show_spinner=False)
def _works() -> tuple[threading.Lock, OrderedDict[str, Work]]:
    """Every session's works, by key."""
    return threading.Lock(), OrderedDict()


def start(key: str, task: Callable[[Work], Any]) -> Work:
    """The work under `key`, started on a thread running `task(work)` unless it exists.

    A SeedbedError `task` raises is the work's error, in the user's words; anything else
    is a programming error, logged by the thread, and the work says it stopped.
    """
    lock, works = _works()
    with lock:
        work = works.get(key)
        if work is not None:
            works.move_to_end(key)
            return work
        work = works[key] = Work()
        while len(works) > KEPT:
            oldest = next(iter(works))
            if not works[oldest].finished:
                break
            del works[oldest]
    threading.Thread(target=_run, args=(work, task), daemon=True).start()
    return work


def forget(key: str) -> None:
    """Drop the work under `key` (finished), so the next `start` runs it again."""
    lock, works = _works()
    with lock:
        if key in works and works[key].finished:
            del works[key]


def _run(work: Work, task: Callable[[Work], Any]) -> None:
    try:
        work.result = task(work)
    except SeedbedError as error:
        work.error = str(error)
    finally:
        if work.result is None and work.error is None:
            work.error = "The work stopped without a result (an error in Seedbed, logged)."
        work.ended.set()  # after the result or error: a reader of `finished` sees them


def watch(work: Work, waiting: str) -> None:
    """A bar of `work`'s counts, polled while it runs; the page reruns when it is done.
    `waiting` is the bar's words before the work reports counts."""
    st.fragment(_poll, run_every=POLL_SECONDS)(work, waiting)


def _poll(work: Work, waiting: str) -> None:
    if work.finished:
        st.rerun()
    if work.todo:
        seconds = time.monotonic() - work.started
        text = progress_words(work.what, work.done, work.todo, seconds)
        st.progress(work.done / work.todo, text=text)
    else:
        st.progress(0.0, text=waiting)
    st.caption("This runs on the server: other tabs and pages answer meanwhile.")


def progress_words(what: str, done: int, todo: int, seconds: float) -> str:
    """The bar's words: counts, and the time left at the pace so far (once there is one)."""
    words = f"Embedding {todo:,} new {what}: {done:,} of {todo:,} done"
    if done == 0 or done >= todo:
        return words
    left = seconds / done * (todo - done)
    pace = f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"
    return f"{words}, {pace}"
