"""Sentence embeddings for a page: a few new texts in the page's script behind a bar, many
on a server thread (components/background.py) whose counts and time left the page shows
while it, and the other pages, keep answering.

A measure that needs embeddings calls `embed_with_progress`; the page wraps the measure in
`measured`, which shows the bar (or what went wrong, with Try again) instead of the measure
until the texts are embedded, then reruns the page.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import streamlit as st

from components import background
from components.state import plain
from seedbed.insights.embeddings import content_hash, embed_texts, reporting, unembedded
from seedbed.store.core import Store

# Up to this many new texts are embedded in the page's script, behind a bar (a few
# seconds on 2 cores); more go to a server thread and the page shows their progress.
IN_PAGE = 300

T = TypeVar("T")


class StillEmbedding(Exception):  # noqa: N818 (a state the page shows, not an error)
    """Raised by a measure whose texts are being embedded on a server thread."""

    def __init__(self, key: str, work: background.Work, what: str) -> None:
        super().__init__(f"embedding {what}")
        self.key, self.work, self.what = key, work, what


def embed_with_progress(texts: Sequence[str], store: Store, what: str) -> np.ndarray:
    """Embeddings for `texts`. A few new texts are embedded here behind a bar with counts;
    more start a server thread (shared by every session asking for the same texts) and
    raise StillEmbedding until it is done: callers wrap the measure in `measured`."""
    texts = list(texts)
    hashes = {content_hash(text) for text in texts}
    if len(unembedded(hashes, store)) > IN_PAGE:
        joined = "\n".join(sorted(hashes))
        key = f"embed|{store.url}|{hashlib.sha256(joined.encode()).hexdigest()}"

        def embed_all(work: background.Work) -> int:
            embed_texts(texts, store, on_progress=reporting(work.progress, what))
            return len(texts)

        work = background.start(key, embed_all)
        if not work.finished or work.error is not None:
            raise StillEmbedding(key, work, what)
    bar = None
    start = time.monotonic()

    def show(done: int, todo: int) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0)
        seconds = time.monotonic() - start
        bar.progress(done / todo, text=background.progress_words(what, done, todo, seconds))

    vectors = embed_texts(texts, store, on_progress=show)
    if bar is not None:
        bar.empty()
    return vectors


def measured(compute: Callable[[], T]) -> T | None:
    """`compute()`, or None while the texts it needs are embedded on a server thread: then
    a bar shows that work's counts and time left, and the page reruns when it is done."""
    try:
        return compute()
    except StillEmbedding as waiting:
        if waiting.work.error is None:
            starting = f"Loading the sentence model for the new {waiting.what}…"
            background.watch(waiting.work, starting)
            return None
        st.error(plain(f"Embedding the {waiting.what} stopped: {waiting.work.error}"))
        if st.button("Try again", key=f"embed_retry_{waiting.key}"):
            background.forget(waiting.key)
            st.rerun()
        return None
