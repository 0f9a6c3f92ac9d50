"""The shipped Streamlit settings that keep an idle server idle and a busy one fast,
as Streamlit itself reads them (a misspelt key or section would be ignored silently)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def _option(name: str) -> str:
    """The value Streamlit reads for `name` when started in the project folder."""
    code = f"from streamlit import config; print(config.get_option({name!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_file_watcher_is_off() -> None:
    # With the watcher on, one open tab keeps most of a core busy re-scanning .venv
    # (bench/bench_idle.py); a deployed tool never needs reruns on source edits.
    assert _option("server.fileWatcherType") == "none"


def test_no_full_garbage_collection_after_each_run() -> None:
    # With it, every fragment poll cost about 0.3 s of a core holding the GIL once torch
    # was loaded: a progress bar slowed the embedding it watched (the utility check on
    # 7,600 rows: 61-69 s from the page against 46-52 s without).
    assert _option("runner.postScriptGC") == "False"
