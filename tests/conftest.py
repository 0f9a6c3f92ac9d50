"""Shared fixtures: every test gets its own database; the real models load once per session."""

from __future__ import annotations

import ast
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from seedbed.files.presets import ensure_demo_projects
from seedbed.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
# No background load of the embedded model in the app a test starts: 20 s of a core the
# tests would fight with (the slow tests load it themselves, once per session).
os.environ["SEEDBED_PRELOAD"] = "0"
# A database the first schema wrote (SQL dump), for the migration tests.
V1_DUMP = ROOT / "tests" / "data" / "seedbed_v1.sql"


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point DATABASE_URL at a fresh SQLite file so no test touches data/."""
    url = f"sqlite:///{tmp_path / 'seedbed.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return url


@pytest.fixture
def store(_isolated_database: str) -> Store:
    return Store(_isolated_database)


@pytest.fixture
def demo_store(store: Store) -> Store:
    """A store holding the shipped demo projects."""
    ensure_demo_projects(store)
    return store


@pytest.fixture(scope="session")
def embedded_backend():
    """The real SmolLM2 backend on llama.cpp, loaded once for the whole session."""
    from seedbed.llm.local_backend import LocalBackend, load_model

    load_model()
    return LocalBackend()


# A PostgreSQL server for the store's suite: `.ci/run` starts one and sets this URL;
# on a developer's machine those tests run when it is set.
POSTGRES_URL = os.environ.get("SEEDBED_TEST_POSTGRES_URL", "")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=DATABASES)
def every_store(request: pytest.FixtureRequest, _isolated_database: str) -> Iterator[Store]:
    """A fresh store on SQLite and, when SEEDBED_TEST_POSTGRES_URL is set, on PostgreSQL.

    Each PostgreSQL test gets its own schema, dropped afterwards.
    """
    if request.param == "sqlite":
        yield Store(_isolated_database)
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    store = Store(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A real two-node Ray cluster on this machine (1 CPU each, no dashboard); its address.

    Its nodes hold OPENAI_API_KEY=node-key in their environment (this process
    holds none), as each machine of a team's cluster holds its own. This process
    is connected to it (seedbed.cluster.connect) until the session ends.
    """
    import ray
    from ray.cluster_utils import Cluster

    from seedbed.cluster import connect

    saved = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = NODE_KEY  # read by the nodes' processes when they start
    try:
        cluster = Cluster(
            initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
        )
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
    finally:
        if saved is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = saved
    try:
        connect(cluster.address)
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.shutdown()


NODE_KEY = "node-key"


def parse_python(path: Path) -> ast.Module:
    """`ast.parse` of a source file, in a thread of its own: CPython 3.11.7's AST converter can
    raise "SystemError: AST constructor recursion depth mismatch" when called deep in a
    thread whose recursion count an earlier test left off (fixed in 3.11.8)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(ast.parse, path.read_text(encoding="utf-8")).result()
