"""A key typed into a base URL (`http://user:KEY@host/v1`) is refused where it is typed and
never reaches the job settings, the screen or recipe.json."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from seedbed.cli import main as cli
from seedbed.errors import InputError
from seedbed.files.recipe import build_recipe, recipe_json
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings
from seedbed.llm import BackendConfig, checked_base_url
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.app.test_pages import open_app, seen

KEY = "sk-live-0123456789"
URLS = [
    f"http://user:{KEY}@llm.internal:8000/v1",
    f"https://{KEY}@llm.internal/v1",
    f"https://llm.internal/v1?api-version=2024-06-01&api_key={KEY}",
]


@pytest.mark.parametrize("url", URLS)
def test_a_url_with_credentials_is_refused_without_repeating_the_key(url: str) -> None:
    with pytest.raises(InputError, match="holds credentials") as caught:
        checked_base_url(url)
    assert KEY not in str(caught.value)
    assert "recipe.json" in str(caught.value)
    assert checked_base_url(" http://llm.internal:8000/v1 ") == "http://llm.internal:8000/v1"


@pytest.mark.parametrize("url", URLS)
def test_the_backend_config_never_holds_credentials(url: str) -> None:
    config = BackendConfig(kind="openai", model="m", base_url=url)
    assert KEY not in config.model_dump_json()
    assert config.base_url.startswith(("http://llm.internal", "https://llm.internal"))


def test_the_cli_refuses_a_key_in_the_base_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.db"
    assert cli.main(["--db", str(db), "init"]) == 0
    code = cli.main(
        [
            "--db", str(db), "generate", "--project", "News topic classification",
            "--method", "attrprompt", "--backend", "openai", "--model", "m",
            "--base-url", URLS[0],
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "holds credentials" in captured.err and KEY not in captured.err + captured.out
    assert jobs.list_jobs(Store(f"sqlite:///{db}")) == []


def test_an_old_job_row_holding_a_key_exports_without_it(demo_store: Store) -> None:
    project = demo_store.list_projects()[0]
    job_id = jobs.create_job(demo_store, project.id, JobSettings(method="attrprompt", n=1))
    stored = JobSettings(method="attrprompt", n=1).model_dump(mode="json")
    stored["backend"] = {"kind": "openai", "model": "m", "base_url": URLS[0], "extra_body": {}}
    with demo_store.engine.begin() as conn:  # as a version before this fix stored it
        conn.execute(update(t.jobs).where(t.jobs.c.id == job_id).values(settings=stored))
    assert KEY not in jobs.get_job(demo_store, job_id).settings.model_dump_json()
    assert KEY not in recipe_json(build_recipe(demo_store, project))


def test_the_sidebar_says_why_the_key_was_dropped(store: Store) -> None:
    at = open_app(backend_kind="openai", backend_base_url=URLS[0], backend_model="m")
    errors = [seen(e.value) for e in at.sidebar.error]
    assert any("Base URL: The base URL holds credentials" in e for e in errors), errors
    assert all(KEY not in e for e in errors)
    assert KEY not in at.session_state["backend_config"].base_url
