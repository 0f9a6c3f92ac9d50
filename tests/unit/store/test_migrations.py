"""Migrations bring an old database up to date without losing its data."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text

from seedbed.jobs import state as jobs
from seedbed.models import CandidateFilter
from seedbed.review import judge
from seedbed.store import migrations, schema
from seedbed.store.core import Store, make_engine
from tests.conftest import POSTGRES_URL, ROOT, V1_DUMP


def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    assert migrations.migrate(old, up_to=1) == [1]
    with old.begin() as conn:
        conn.execute(
            schema.projects.insert().values(
                name="Legacy",
                kind="instruction",
                description="from v1",
                labels=[],
                item_name="",
                created_at=datetime.now(UTC),
            )
        )
    assert not inspect(old).has_table("embeddings")
    old.dispose()

    store = Store(url)

    assert inspect(store.engine).has_table("embeddings")
    with store.engine.connect() as conn:
        versions = list(conn.execute(select(schema.schema_migrations.c.version)).scalars())
    assert sorted(versions) == [v for v, _, _ in migrations.MIGRATIONS]
    [project] = store.list_projects()
    assert (project.name, project.description) == ("Legacy", "from v1")
    store.put_embeddings("m", {"h": b"\x00"}, dim=1)  # the new table works

    assert migrations.migrate(store.engine) == []
    reopened = Store(url)
    with reopened.engine.connect() as conn:
        rows = conn.execute(select(schema.schema_migrations)).all()
    assert len(rows) == len(migrations.MIGRATIONS)
    assert [p.name for p in reopened.list_projects()] == ["Legacy"]


def test_a_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert migrations.migrate(engine) == [version for version, _, _ in migrations.MIGRATIONS]
    tables = set(inspect(engine).get_table_names())
    assert {"projects", "seed_tasks", "candidates", "reviews", "embeddings"} <= tables


def test_migration_versions_are_unique_and_increasing() -> None:
    versions = [version for version, _, _ in migrations.MIGRATIONS]
    assert versions == sorted(set(versions))


def test_a_real_version_1_database_gains_the_filter_columns(tmp_path: Path) -> None:
    """tests/data/seedbed_v1.sql is a dump of a database the first schema wrote."""
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DUMP.read_text())

    store = Store(f"sqlite:///{path}")

    [project] = store.list_projects()
    [candidate] = store.list_candidates(project.id)
    assert candidate.content == {"text": "An old text.", "label": "a"}
    assert candidate.job_id is None and candidate.reviewed_by is None
    assert store.count_candidates(project.id, CandidateFilter(failed_checks=["length"])) == 1
    assert store.count_candidates(project.id, CandidateFilter(flagged=False)) == 0


def test_every_migration_applies_on_every_database(every_store: Store) -> None:
    """SQLite and, when SEEDBED_TEST_POSTGRES_URL is set, PostgreSQL run the same migrations."""
    with every_store.engine.connect() as conn:
        versions = sorted(conn.execute(select(schema.schema_migrations.c.version)).scalars())
    assert versions == [version for version, _, _ in migrations.MIGRATIONS]
    assert migrations.migrate(every_store.engine) == []
    assert {"candidates", "reviews", "embeddings"} <= set(
        inspect(every_store.engine).get_table_names()
    )


def _fresh_database_urls(tmp_path: Path) -> list[tuple[str, str | None]]:
    """(url, schema to drop) for a brand-new SQLite file and, when configured, PostgreSQL schema."""
    urls: list[tuple[str, str | None]] = [(f"sqlite:///{tmp_path / 'race.db'}", None)]
    if POSTGRES_URL:
        name = f"race_{uuid.uuid4().hex[:10]}"
        with create_engine(POSTGRES_URL).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        separator = "&" if "?" in POSTGRES_URL else "?"
        urls.append((f"{POSTGRES_URL}{separator}options=-csearch_path%3D{name}", name))
    return urls


def test_processes_starting_together_on_a_new_database_all_get_it_migrated(
    tmp_path: Path,
) -> None:
    """App replicas and workers may open the same empty database at the same moment."""
    opener = "import sys; from seedbed.store.core import Store; Store(sys.argv[1]); print('ok')"
    for url, schema_name in _fresh_database_urls(tmp_path):
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", opener, url],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = [process.communicate(timeout=120) for process in processes]
        assert [out.strip() for out, _ in results] == ["ok"] * 4, [err for _, err in results]
        store = Store(url)
        with store.engine.connect() as conn:
            versions = list(conn.execute(select(schema.schema_migrations.c.version)).scalars())
        assert sorted(versions) == [v for v, _, _ in migrations.MIGRATIONS]  # each recorded once
        store.engine.dispose()
        if schema_name:
            with create_engine(POSTGRES_URL).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema_name} CASCADE"))


def test_jobs_once_queued_for_workers_run_on_the_ray_cluster_after_migration_8(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'v6.db'}"
    old = make_engine(url)
    migrations.migrate(old, up_to=6)
    now = datetime.now(UTC)
    with old.begin() as conn:
        conn.execute(
            schema.projects.insert().values(
                id=1, name="P", kind="instruction", labels=[], created_at=now
            )
        )
        for job_id, workers in ((1, True), (2, False)):
            settings = {"method": "attrprompt", "n": 5, "workers": workers}
            conn.execute(
                schema.jobs.insert().values(
                    id=job_id,
                    project_id=1,
                    method="attrprompt",
                    status="queued",
                    settings=settings,
                    created_at=now,
                )
            )
    old.dispose()

    store = Store(url)

    assert jobs.get_job(store, 1).settings.cluster
    assert not jobs.get_job(store, 2).settings.cluster
    columns = {c["name"] for c in inspect(store.engine).get_columns("job_requests")}
    assert "node" in columns


def test_judge_scores_of_one_judge_per_candidate_survive_migration_10(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v9.db'}"
    old = make_engine(url)
    migrations.migrate(old, up_to=9)
    now = datetime.now(UTC)
    with old.begin() as conn:
        # The table as migration 5 shipped it: one row per candidate.
        conn.execute(text("DROP TABLE judge_scores"))
        conn.execute(
            text(
                "CREATE TABLE judge_scores (candidate_id INTEGER PRIMARY KEY REFERENCES "
                "candidates(id) ON DELETE CASCADE, project_id INTEGER NOT NULL, helpfulness "
                "FLOAT, correctness FLOAT, instruction_following FLOAT, overall FLOAT, model "
                "VARCHAR(200) NOT NULL, error TEXT, reply TEXT NOT NULL, created_at DATETIME "
                "NOT NULL)"
            )
        )
        conn.execute(
            schema.projects.insert().values(
                id=1, name="P", kind="instruction", labels=[], created_at=now
            )
        )
        conn.execute(
            schema.candidates.insert().values(
                id=7,
                project_id=1,
                content={"instruction": "x"},
                attributes={},
                prompt="",
                checks=[],
                params={},
                method="seed",
                status="pending",
                created_at=now,
            )
        )
        conn.execute(
            schema.judge_scores.insert().values(
                candidate_id=7,
                project_id=1,
                helpfulness=4,
                correctness=4,
                instruction_following=4,
                overall=4,
                model="old-judge",
                reply="{}",
                created_at=now,
            )
        )
    old.dispose()

    store = Store(url)

    key = inspect(store.engine).get_pk_constraint("judge_scores")["constrained_columns"]
    assert sorted(key) == ["candidate_id", "model"]
    [kept] = judge.results_for(store, [7])[7]
    assert (kept.model, kept.overall) == ("old-judge", 4.0)
    judge.save_result(
        store, 1, judge.JudgeResult(7, scores=dict.fromkeys(judge.CRITERIA, 2.0), model="new-judge")
    )
    assert [r.model for r in judge.results_for(store, [7])[7]] == ["new-judge", "old-judge"]
