"""One machine stays simple: without a cluster, nothing imports Ray."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from seedbed.cluster import cluster_address
from tests.conftest import ROOT


def test_the_app_the_command_line_and_embeddings_never_import_ray_without_a_cluster() -> None:
    code = (
        "import sys\n"
        "import seedbed.cli.main, seedbed.jobs.runner, seedbed.insights.embeddings\n"
        "import components.job_progress\n"
        "assert 'ray' not in sys.modules, 'ray imported'\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_cluster_address_comes_from_the_flag_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert cluster_address() is None and cluster_address("  ") is None
    monkeypatch.setenv("RAY_ADDRESS", "head:6379")
    assert cluster_address() == "head:6379"
    assert cluster_address("other:6379") == "other:6379"
