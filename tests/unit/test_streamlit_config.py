"""The shipped Streamlit settings that keep an idle server idle."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_the_file_watcher_is_off() -> None:
    # With the watcher on, one open tab keeps most of a core busy re-scanning .venv
    # (bench/bench_idle.py); a deployed tool never needs reruns on source edits.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
