"""`python -m seedbed`: init, generate and export without the browser, and surviving a kill."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedbed.cli import main as cli
from seedbed.jobs import runner
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.models import Candidate, CandidateStatus, Project, Review
from seedbed.store.core import Store
from tests.conftest import NODE_KEY, ROOT
from tests.fake_openai_server import ChatMessages, FakeOpenAIServer

INSTRUCTIONS = "General instruction tuning"
NEWS = "News topic classification"


def seedbed(db: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedbed", "--db", str(db), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def store_at(db: Path) -> Store:
    return Store(f"sqlite:///{db}")


def project_named(store: Store, name: str) -> Project:
    return next(p for p in store.list_projects() if p.name == name)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert cli.main(["--db", str(path), "init"]) == 0
    return path


def test_init_loads_the_demo_projects_once(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "seedbed.db"

    first = seedbed(db, "init")
    assert first.returncode == 0, first.stderr
    assert "(2 demo projects loaded)" in first.stdout
    assert {p.name for p in store_at(db).list_projects()} == {INSTRUCTIONS, NEWS}

    second = seedbed(db, "init")
    assert second.returncode == 0, second.stderr
    assert "(0 demo projects loaded)" in second.stdout
    assert len(store_at(db).list_projects()) == 2


def test_export_writes_the_accepted_candidates(db: Path, tmp_path: Path) -> None:
    store = store_at(db)
    project = project_named(store, INSTRUCTIONS)
    content = {"instruction": "Greet in French.", "input": "", "output": "Bonjour"}
    accepted = store.add_candidate(
        Candidate(project_id=project.id, content=content, method="self_instruct")
    )
    store.add_candidate(Candidate(project_id=project.id, content=content, method="self_instruct"))
    edited = {"instruction": "Greet in French.", "input": "", "output": "Bonjour, ça va ?"}
    store.record_review(
        Review(candidate_id=accepted, decision="accepted", edited_content=edited, annotator="a")
    )
    out = tmp_path / "exports" / "data.jsonl"

    result = seedbed(
        db, "export", "--project", INSTRUCTIONS, "--format", "alpaca", "--out", str(out)
    )

    assert result.returncode == 0, result.stderr
    assert f"wrote 1 record to {out}" in result.stdout
    assert out.read_text(encoding="utf-8") == json.dumps(edited, ensure_ascii=False) + "\n"
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind


def test_a_failed_export_leaves_the_previous_file_intact(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "data.jsonl"
    out.write_text('{"old": "export"}\n', encoding="utf-8")

    def breaks_halfway(*args: object, **kwargs: object) -> Iterator[str]:
        yield '{"half": "written"}\n'
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(cli.exporter, "export_lines", breaks_halfway)
    with pytest.raises(RuntimeError, match="disk trouble"):
        cli.main(["--db", str(db), "export", "--project", NEWS, "--out", str(out)])

    assert out.read_text(encoding="utf-8") == '{"old": "export"}\n'


def test_unknown_project_lists_the_real_ones(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", str(db), "export", "--project", "Nope", "--out", "x.jsonl"]) == 1
    error = capsys.readouterr().err
    assert error == f"error: No project named 'Nope'. Projects: {INSTRUCTIONS}, {NEWS}.\n"


def test_a_programming_error_is_not_shown_as_the_users_mistake(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(cli, "ensure_demo_projects", broken)
    with pytest.raises(ValueError, match="a bug"):  # a traceback, not "error: a bug"
        cli.main(["--db", str(db), "init"])


def self_instruct_reply(messages: ChatMessages) -> str:
    """Replies shaped like a chat model's to Self-Instruct's three stages."""
    prompt = messages[-1]["content"]
    if prompt.startswith("Come up with a series of tasks:"):
        return "Name a planet with rings.\n10. Name a river in Africa."
    if prompt.rstrip().endswith("Is it a classification task?"):
        return "No"
    task = prompt.rstrip().rsplit("Task:", 1)[-1].strip()
    return f"Example 1\nInput:\nOutput: An answer to '{task}'"


def test_generate_runs_a_job_with_a_cheaper_model_for_one_stage(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIServer(reply=self_instruct_reply) as server:
        code = cli.main(
            [
                "--db", str(db), "generate",
                "--project", INSTRUCTIONS, "--method", "self_instruct", "-n", "2",
                "--backend", "openai", "--base-url", server.base_url, "--model", "strong",
                "--stage-model", "classify=cheap",
            ]
        )  # fmt: skip
        chat_requests = server.chat_requests

    output = capsys.readouterr().out
    assert code == 0, output
    assert output.startswith("job 1 started: self_instruct, 2 candidates wanted\n")
    assert "job 1 done: 2/2 candidates" in output
    models = {
        (r.body or {})["model"]
        for r in chat_requests
        if r.messages[-1]["content"].rstrip().endswith("Is it a classification task?")
    }
    assert models == {"cheap"}
    store = store_at(db)
    candidates = list(store.iter_candidates(project_named(store, INSTRUCTIONS).id))
    assert {c.content["instruction"] for c in candidates} == {
        "Name a planet with rings.",
        "Name a river in Africa.",
    }
    for candidate in candidates:
        assert candidate.content["output"] == f"An answer to '{candidate.content['instruction']}'"
        assert candidate.model == "strong" and candidate.job_id == 1
        assert candidate.params["backend"] == "openai"
        assert candidate.status == CandidateStatus.PENDING


def test_generate_reports_a_backend_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer(models=["real-model"]) as server:
        code = cli.main(
            [
                "--db", str(db), "generate", "--project", NEWS, "--method", "attrprompt",
                "--backend", "openai", "--base-url", server.base_url, "--model", "typo-model",
            ]
        )  # fmt: skip
    assert code == 1
    captured = capsys.readouterr()
    assert "job 1 failed: 0/5 candidates" in captured.out
    assert "Model 'typo-model' is not available" in captured.err
    assert "resume with: python -m seedbed resume --job 1" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stage-model", "judge=cheap"], "use STAGE=MODEL with a stage of attrprompt"),
        (["--options", "{not json"], "--options is not valid JSON"),
        (["--options", '{"no_such_option": 1}'], "no_such_option"),
        (["--budget-usd", "-1"], "budget_usd"),
    ],
)
def test_generate_explains_bad_arguments(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = cli.main(
        ["--db", str(db), "generate", "--project", NEWS, "--method", "attrprompt", *args]
    )
    assert code == 1
    assert message in capsys.readouterr().err
    assert cli.main(["--db", str(db), "jobs"]) == 0
    assert "no jobs yet" in capsys.readouterr().out


def request_rows(db: Path) -> list[tuple[str, str, int]]:
    connection = sqlite3.connect(db, timeout=5)
    try:
        return connection.execute("SELECT key, status, attempts FROM job_requests").fetchall()
    finally:
        connection.close()


def count_candidates(db: Path) -> int:
    connection = sqlite3.connect(db, timeout=5)
    try:
        return connection.execute("SELECT count(*) FROM candidates").fetchone()[0]
    finally:
        connection.close()


def test_a_killed_generation_resumes_without_losing_or_repeating_anything(
    db: Path, tmp_path: Path
) -> None:
    """SIGKILL mid-job, then `resume`: exactly n candidates, each request answered once.

    The fake server answers each request after 1 s and the job sends 8 at a time,
    so 24 requests arrive in three waves; the kill lands during the first ones.
    """
    n = 24
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai_server", "--port", "0", "--delay", "1.0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    env = {**os.environ, "OPENAI_API_KEY": "test"}
    stderr_path = tmp_path / "generate.stderr"
    try:
        base_url = server.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with stderr_path.open("w") as stderr:
            generator = subprocess.Popen(
                [
                    sys.executable, "-m", "seedbed", "--db", str(db), "generate",
                    "--project", NEWS, "--method", "attrprompt", "-n", str(n),
                    "--backend", "openai", "--base-url", base_url, "--model", "m",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
            )  # fmt: skip
            try:
                deadline = time.monotonic() + 60
                while count_candidates(db) < 2:
                    assert generator.poll() is None, stderr_path.read_text()
                    assert time.monotonic() < deadline, "no candidate was stored in time"
                    time.sleep(0.02)
                generator.send_signal(signal.SIGKILL)
                generator.wait(timeout=10)
            finally:
                if generator.poll() is None:
                    generator.kill()
                    generator.wait()
        assert generator.returncode == -signal.SIGKILL
        connection = sqlite3.connect(db)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            connection.close()
        killed_at = count_candidates(db)
        assert 2 <= killed_at < n
        listing = seedbed(db, "jobs")
        assert "    1  interrupted" in listing.stdout, listing.stdout

        resumed = subprocess.run(
            [sys.executable, "-m", "seedbed", "--db", str(db), "resume", "--job", "1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        server.kill()
        server.wait()

    assert resumed.returncode == 0, resumed.stderr
    assert f"job 1 done: {n}/{n} candidates" in resumed.stdout
    store = store_at(db)
    project = project_named(store, NEWS)
    candidates = list(store.iter_candidates(project.id))
    assert len(candidates) == n
    sources = [c.lineage["job_request_id"] for c in candidates]
    assert len(set(sources)) == n  # no request's candidate stored twice
    rows = request_rows(db)
    keys = [key for key, _, _ in rows]
    assert len(keys) == len(set(keys)) == n
    assert {status for _, status, _ in rows} == {"done"}
    # The requests in flight at the kill were sent again, the stored ones were not.
    assert max(attempts for _, _, attempts in rows) == 2
    assert sum(attempts == 1 for _, _, attempts in rows) >= killed_at
    for candidate in candidates:
        assert candidate.status == CandidateStatus.PENDING and candidate.job_id == 1
        assert candidate.content["text"].strip()
        assert candidate.content["label"] == candidate.label in project.labels
        assert candidate.prompt and candidate.model == "m"


def generate_news(db: Path, server: FakeOpenAIServer, n: int) -> int:
    return cli.main(
        [
            "--db", str(db), "generate", "--project", NEWS, "--method", "attrprompt",
            "-n", str(n), "--backend", "openai", "--base-url", server.base_url, "--model", "m",
        ]
    )  # fmt: skip


def test_a_job_whose_every_request_failed_ends_failed(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIServer(status_for=lambda messages: 400) as server:
        code = generate_news(db, server, 2)
    captured = capsys.readouterr()
    assert code == 1
    assert "job 1 failed: 0/2 candidates" in captured.out
    assert "Every request failed (4), so nothing was generated" in captured.err
    assert "resume with: python -m seedbed resume --job 1 --retry-failed" in captured.err


def test_retry_failed_on_a_job_that_has_its_count_changes_nothing(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIServer(statuses=[400]) as server:  # the first request fails, the rest answer
        assert generate_news(db, server, 2) == 0
    before = request_rows(db)
    assert "failed" in {status for _, status, _ in before}
    capsys.readouterr()

    code = cli.main(["--db", str(db), "resume", "--job", "1", "--retry-failed"])
    assert code == 1
    assert "Job 1 already has its 2 candidates; its failed requests were left as they are" in (
        capsys.readouterr().err
    )
    assert request_rows(db) == before
    connection = sqlite3.connect(db, timeout=5)
    try:
        query = "SELECT count(*) FROM job_requests WHERE error IS NOT NULL"
        assert connection.execute(query).fetchone()[0] == 1  # why it failed is kept
    finally:
        connection.close()


def test_retry_failed_sends_again_the_failures_of_a_done_job_short_of_its_count(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = {"now": True}
    answered = itertools.count()

    def status(messages: list) -> int | None:
        # The first request is answered; while broken, every later one fails.
        return 400 if next(answered) > 0 and broken["now"] else None

    with FakeOpenAIServer(status_for=status) as server:
        assert generate_news(db, server, 2) == 0
        out = capsys.readouterr().out
        assert "job 1 done: 1/2 candidates" in out
        assert "retry the failed requests: python -m seedbed resume --job 1 --retry-failed" in out
        assert "failed" in {row_status for _, row_status, _ in request_rows(db)}
        broken["now"] = False
        code = cli.main(["--db", str(db), "resume", "--job", "1", "--retry-failed"])
    assert code == 0
    assert "job 1 done: 2/2 candidates" in capsys.readouterr().out
    assert count_candidates(db) == 2


def test_the_timeout_option_is_kept_with_the_job(db: Path) -> None:
    with FakeOpenAIServer() as server:
        argv = ["--db", str(db), "generate", "--project", NEWS, "--method", "attrprompt", "-n"]
        argv += ["1", "--backend", "openai", "--base-url", server.base_url, "--model", "m"]
        assert cli.main([*argv, "--timeout", "240"]) == 0
    [job] = jobs.list_jobs(store_at(db), project_named(store_at(db), NEWS).id)
    assert job.settings.backend.timeout == 240


def test_unreachable_storage_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://seedbed@127.0.0.1:1/seedbed?connect_timeout=2")
    assert cli.main(["jobs"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: Cannot reach the database postgresql://seedbed@")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.slow
def test_generate_on_a_ray_cluster_follows_the_job_and_names_its_nodes(
    db: Path, ray_cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIServer(api_key=NODE_KEY, delay=0.2) as server:
        code = cli.main(
            [
                "--db", str(db), "generate", "--project", NEWS, "--method", "attrprompt",
                "-n", "6", "--backend", "openai", "--base-url", server.base_url,
                "--model", "m", "--ray", ray_cluster,
            ]
        )  # fmt: skip
    output = capsys.readouterr().out
    assert code == 0, output
    assert f"job 1 submitted to the Ray cluster at {ray_cluster}" in output
    assert "job 1 done: 6/6 candidates" in output
    assert cli.main(["--db", str(db), "jobs"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert " done " in line and line.count("served by ") == 1
    served = line.split("served by ", 1)[1]
    assert len(served.split(", ")) == 2  # both nodes named, with their request counts


def test_a_cluster_job_resumes_only_on_a_cluster_and_cancel_stops_a_queued_job(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    store = store_at(db)
    settings = JobSettings(method="attrprompt", n=3, cluster=True)
    job_id = runner.start_job(store, project_named(store, NEWS), settings)

    assert cli.main(["--db", str(db), "resume", "--job", str(job_id)]) == 1
    assert "runs on a Ray cluster: pass --ray ADDRESS" in capsys.readouterr().err
    assert cli.main(["--db", str(db), "cancel", "--job", str(job_id)]) == 0
    assert jobs.get_job(store, job_id).status == JobStatus.CANCELLED  # nobody had claimed it
