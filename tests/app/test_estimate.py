"""Generate shows what a job as configured will take (tokens, money, time) before it starts."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from seedbed.jobs import requests as job_requests
from seedbed.jobs.estimate import is_local, latest_preview
from seedbed.llm import BackendConfig
from seedbed.store.core import Store
from tests.app.test_pages import open_app, openai_settings, project_id, seen
from tests.fake_openai_server import FakeOpenAIServer

NEWS = "News topic classification"
ARTICLE = "Sure! Here is the article:\nHarbour workers in Mombasa ended a strike on Tuesday."


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def preview_tokens(store: Store) -> tuple[int, int]:
    preview = latest_preview(store, project_id(store, NEWS), "attrprompt")
    progress = job_requests.job_progress(store, preview)
    assert progress.stored == 2
    return progress.prompt_tokens, progress.completion_tokens


def test_no_estimate_before_a_preview(demo_store: Store) -> None:
    at = open_app("generate", NEWS)
    assert "Estimated tokens" not in metrics(at)
    assert any("Generate a preview of this method first" in c.value for c in at.caption)


def test_a_local_server_shows_tokens_and_time_only(demo_store: Store) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE) as server:  # on 127.0.0.1
        at = open_app("generate", NEWS, **openai_settings(server))
        at.slider(key="generate_n").set_value(2)
        at.button(key="generate_run").click().run()
        at.number_input(key="generate_batch_n").set_value(20).run()
    assert not at.exception, at.exception
    prompt, completion = preview_tokens(demo_store)
    shown = metrics(at)
    assert shown["Estimated tokens"] == f"{(prompt + completion) * 10:,}"
    assert "Estimated time" in shown
    assert "Estimated cost" not in shown


def test_a_hosted_model_shows_the_money_from_the_price_table(demo_store: Store) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE) as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        at.slider(key="generate_n").set_value(2)
        at.button(key="generate_run").click().run()
    hosted = {"backend_kind": "openai", "backend_base_url": "", "backend_model": "gpt-4o-mini"}
    at = open_app("generate", NEWS, **hosted)  # later, the same job on the OpenAI API
    at.number_input(key="generate_batch_n").set_value(200).run()
    prompt, completion = preview_tokens(demo_store)
    usd = (prompt * 0.15 + completion * 0.60) / 1e6 * 100
    assert metrics(at)["Estimated cost"] == f"${usd:,.4f}"
    hosted["backend_model"] = "my-finetune"
    at = open_app("generate", NEWS, **hosted)
    assert metrics(at)["Estimated cost"] == "unknown"
    assert any("No price for my-finetune" in seen(c.value) for c in at.caption)


def test_which_servers_are_local() -> None:
    def local(url: str) -> bool:
        return is_local(BackendConfig(kind="openai", base_url=url))

    assert is_local(BackendConfig())  # the embedded model
    assert local("http://127.0.0.1:8000/v1") and local("http://localhost:11434/v1")
    assert local("http://10.0.0.7:8000/v1") and local("http://vllm:8000/v1")
    assert not local("") and not local("https://api.openai.com/v1")
