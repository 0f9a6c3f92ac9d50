"""The Generate page through AppTest: prompt, options, preview, background jobs, prices."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from components import job_progress
from seedbed.errors import BackendError
from seedbed.jobs import pricing, runner
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.state import JobSettings, JobStatus
from seedbed.llm import BackendConfig
from seedbed.models import CandidateFilter, CandidateStatus
from seedbed.store.core import Store
from tests.app.test_pages import open_app, openai_settings, project_id, seen
from tests.conftest import NODE_KEY
from tests.fake_openai_server import FakeOpenAIServer
from tests.fakes import FakeBackend

NEWS = "News topic classification"
TASKS = "General instruction tuning"
ARTICLE = "Sure! Here is the article:\nHarbour workers in Mombasa ended a strike on Tuesday."


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def job_of(store: Store, project: str, preview: bool = False):
    found = [
        j
        for j in jobs.list_jobs(store, project_id(store, project))
        if j.settings.preview == preview
    ]
    return found[0] if found else None


def texts(at: AppTest) -> list[str]:
    return [element.value for element in at.caption] + [element.value for element in at.markdown]


# -- method, options, prompt -----------------------------------------------------------


def test_the_exact_prompt_of_the_first_request_is_shown(demo_store: Store) -> None:
    at = open_app("generate", project=NEWS)
    assert at.selectbox(key="generate_method").value == "attrprompt"
    prompt = at.code[0].value
    assert prompt.startswith('Write one news article whose topic is "business"')
    assert "1. Length:" in prompt and "4. Location:" in prompt
    # Methods that cannot run on this project say why instead of failing later.
    assert any(c.startswith("Self-Instruct is not available here: ") for c in texts(at)), texts(at)
    at.number_input(key="generate_seed").set_value(5).run()
    assert at.code[0].value != prompt


def test_method_options_change_the_plan(demo_store: Store) -> None:
    at = open_app("generate", project=NEWS)
    at.multiselect(key="generate_attrprompt_labels").set_value(["sports"]).run()
    assert at.code[0].value.startswith('Write one news article whose topic is "sports"')
    # The choice survives a switch to another method and back.
    at.selectbox(key="generate_method").set_value("class_conditional").run()
    at.selectbox(key="generate_method").set_value("attrprompt").run()
    assert at.multiselect(key="generate_attrprompt_labels").value == ["sports"]


def test_invalid_options_are_explained(demo_store: Store) -> None:
    at = open_app("generate", project=TASKS)
    at.number_input(key="generate_self_instruct_machine_in_prompt").set_value(12).run()
    assert "machine_in_prompt cannot exceed prompt_instructions" in seen(at.warning[0].value)
    assert "generate_run" not in [button.key for button in at.button]  # nothing to send


# -- preview ---------------------------------------------------------------------------


def test_a_preview_stores_pending_candidates_with_the_chosen_sampling(demo_store: Store) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key="test-key") as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        at.slider(key="generate_n").set_value(2)
        # Off: the length attribute would raise max_tokens to the requested length.
        at.number_input(key="generate_attrprompt_length_margin").set_value(0.0)
        at.number_input(key="generate_attrprompt_item_max_tokens").set_value(48)
        at.button(key="generate_run").click().run()
        bodies = [request.body for request in server.chat_requests]
    assert not at.exception, at.exception
    stored = demo_store.list_candidates(project_id(demo_store, NEWS))
    assert [c.status for c in stored] == [CandidateStatus.PENDING] * 2
    assert sorted(c.label for c in stored) == ["business", "politics"]
    assert all(c.content == {"text": ARTICLE.split("\n")[1], "label": c.label} for c in stored)
    assert [c.params["max_tokens"] for c in stored] == [48, 48]
    assert [body["max_tokens"] for body in bodies] == [48, 48]
    assert all(body["stream"] for body in bodies)  # the replies were streamed into the page
    assert "Preview: 2 new candidates, stored as pending" in [s.value for s in at.subheader]
    # The next preview differs: the seed moved on.
    assert at.number_input(key="generate_seed").value == 1


def test_a_preview_candidate_whose_reply_was_cut_says_so(demo_store: Store) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key="test-key") as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        at.slider(key="generate_n").set_value(1)
        at.number_input(key="generate_attrprompt_length_margin").set_value(0.0)
        at.number_input(key="generate_attrprompt_item_max_tokens").set_value(5)  # ARTICLE: 13
        at.button(key="generate_run").click().run()
    assert not at.exception, at.exception
    assert any("truncated" in w.value for w in at.warning)
    cut = "Reply cut: the reply was cut at its token limit"
    assert any(seen(c).startswith(cut) for c in texts(at)), texts(at)


def test_a_preview_with_a_wrong_key_says_so_and_stores_nothing(demo_store: Store) -> None:
    with FakeOpenAIServer(api_key="right-key") as server:
        at = open_app("generate", NEWS, **openai_settings(server, "wrong-key-123"))
        at.button(key="generate_run").click().run()
    assert "rejected the API key" in at.error[0].value
    assert "wrong-key-123" not in at.error[0].value
    assert demo_store.count_candidates(project_id(demo_store, NEWS)) == 0
    assert job_of(demo_store, NEWS, preview=True).status == JobStatus.FAILED


def _streamed_preview() -> None:
    """A page running preview job `job` (from session state), kept after it ends."""
    import os

    import streamlit as st

    from components.preview_stream import run_preview
    from seedbed.store.core import Store

    store = Store(os.environ["DATABASE_URL"])
    run_preview(store, st.session_state["job"], None, st.progress(0.0))


def test_a_preview_shows_each_reply_as_plain_text_while_it_is_written(demo_store: Store) -> None:
    reply = "Sure! Here is the article:\nA *strike* ended <b>today</b>."
    with FakeOpenAIServer(reply=lambda _: reply, stream_delay=0.01) as server:
        settings = JobSettings(
            method="attrprompt",
            n=2,
            concurrency=2,
            preview=True,
            backend=BackendConfig(kind="openai", model="fake-model", base_url=server.base_url),
        )
        project = demo_store.get_project(project_id(demo_store, NEWS))
        job_id = runner.start_job(demo_store, project, settings)
        at = AppTest.from_function(_streamed_preview, default_timeout=20)
        at.session_state["job"] = job_id
        at.run()
    assert not at.exception, at.exception
    # A box per request, its caption naming it, the reply as text (no markdown, no HTML).
    assert [c.value for c in at.caption] == ["Request 1 · stage item", "Request 2 · stage item"]
    assert [t.value for t in at.text] == [reply, reply]
    assert at.get("progress")[0].proto.text == "2 of 2 candidates"
    assert jobs.get_job(demo_store, job_id).status == JobStatus.DONE


def test_a_preview_that_cannot_run_raises_on_the_page(demo_store: Store) -> None:
    at = AppTest.from_function(_streamed_preview, default_timeout=20)
    at.session_state["job"] = 999_999
    at.run()
    assert "There is no job 999999" in at.exception[0].message


# -- background jobs -------------------------------------------------------------------


def test_a_job_runs_in_the_background_with_its_budget_and_shows_its_end(
    demo_store: Store,
) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE) as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        at.number_input(key="generate_batch_n").set_value(4)
        at.number_input(key="generate_concurrency").set_value(2)
        at.selectbox(key="generate_budget_kind").set_value("tokens").run()
        at.number_input(key="generate_budget_tokens").set_value(100_000)
        at.button(key="generate_start").click().run()
        assert not at.exception, at.exception
        job = job_of(demo_store, NEWS)
        wait_for(lambda: jobs.get_job(demo_store, job.id).status == JobStatus.DONE)
        assert server.max_in_flight <= 2
    at.run()
    settings = jobs.get_job(demo_store, job.id).settings
    assert (settings.n, settings.concurrency, settings.budget_tokens) == (4, 2, 100_000)
    assert settings.backend == BackendConfig(
        kind="openai", model="fake-model", base_url=server.base_url
    )
    table = [frame for frame in at.dataframe if "candidates" in frame.value.columns][0].value
    row = table[table["job"] == job.id].iloc[0]
    assert (row["status"], row["candidates"]) == ("done", "4 / 4")
    assert len(demo_store.list_candidates(project_id(demo_store, NEWS))) == 4


def test_a_running_job_can_be_cancelled_and_resumed(demo_store: Store) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE, delay=0.2) as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        at.number_input(key="generate_batch_n").set_value(30)
        at.number_input(key="generate_concurrency").set_value(1)
        at.button(key="generate_start").click().run()
        job = job_of(demo_store, NEWS)
        wait_for(lambda: job_requests.job_progress(demo_store, job).stored >= 1)
        at.run()
        assert any(f"Job {job.id}" in m.value for m in at.markdown)
        at.button(key=f"job_cancel_{job.id}").click().run()
        wait_for(lambda: jobs.get_job(demo_store, job.id).status == JobStatus.CANCELLED)
        stopped_at = job_requests.job_progress(demo_store, job).stored
        assert stopped_at < 30
        at.run()
        assert "Cancelled by the user" in at.info[0].value
        at.button(key=f"job_resume_{job.id}").click().run()
        wait_for(lambda: jobs.get_job(demo_store, job.id).status == JobStatus.DONE, 30)
    found = demo_store.list_candidates(
        project_id(demo_store, NEWS), CandidateFilter(job_ids=[job.id]), limit=100
    )
    assert len(found) == 30


def test_a_job_whose_process_died_is_resumed_when_the_app_starts(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key="env-key") as server:
        news = demo_store.get_project(project_id(demo_store, NEWS))
        config = BackendConfig(kind="openai", model="fake-model", base_url=server.base_url)
        job_id = runner.start_job(
            demo_store, news, JobSettings(method="attrprompt", n=3, backend=config)
        )
        jobs.claim_job(demo_store, job_id, f"{runner.socket.gethostname()}/999999999/gone")
        job_progress.resume_interrupted_jobs.clear()
        open_app("generate", NEWS)
        wait_for(lambda: jobs.get_job(demo_store, job_id).status == JobStatus.DONE)
    assert len(demo_store.list_candidates(news.id)) == 3


# -- prices ----------------------------------------------------------------------------


def test_the_price_table_is_edited_on_the_page(demo_store: Store) -> None:
    at = open_app("generate", project=NEWS)
    [editor] = [e for e in at.data_editor if e.key == "generate_prices"]
    models = list(editor.value["model"])
    at.session_state["generate_prices"] = {
        "edited_rows": {models.index("gpt-4o"): {"completion_usd_per_mtok": 12.5}},
        "added_rows": [
            {"model": "llama3.2", "prompt_usd_per_mtok": 0.0, "completion_usd_per_mtok": 0.0}
        ],
        "deleted_rows": [models.index("gpt-3.5-turbo")],
    }
    at.run()
    at.button(key="generate_prices_save").click().run()
    assert at.success[0].value == f"Saved {len(models)} prices."
    table = pricing.load_prices(demo_store)
    assert table.find("gpt-4o").completion_usd_per_mtok == 12.5
    assert table.find("llama3.2") is not None and table.find("gpt-3.5-turbo") is None


def test_a_bad_price_is_refused_with_a_reason(demo_store: Store) -> None:
    at = open_app("generate", project=NEWS)
    at.session_state["generate_prices"] = {
        "edited_rows": {0: {"prompt_usd_per_mtok": -1.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="generate_prices_save").click().run()
    assert seen(at.error[0].value).startswith("Not saved: ")
    assert "greater than or equal to 0" in at.error[0].value
    assert len(pricing.load_prices(demo_store).prices) == len(pricing.DEFAULT_PRICES)


def test_a_stage_can_use_another_model(demo_store: Store) -> None:
    with FakeOpenAIServer() as server:
        at = open_app("generate", TASKS, **openai_settings(server))
        at.text_input(key="generate_model_self_instruct_classify").input("cheap-model")
        at.number_input(key="generate_batch_n").set_value(1)
        at.button(key="generate_start").click().run()
        job = job_of(demo_store, TASKS)
        wait_for(lambda: jobs.get_job(demo_store, job.id).status not in jobs.LIVE)
    settings = jobs.get_job(demo_store, job.id).settings
    assert settings.stage_backends == {
        "classify": BackendConfig(kind="openai", model="cheap-model", base_url=server.base_url)
    }
    assert settings.backend.model == "fake-model"


def test_failed_requests_can_be_sent_again(demo_store: Store) -> None:
    news = demo_store.get_project(project_id(demo_store, NEWS))
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key="test-key") as server:
        config = BackendConfig(kind="openai", model="fake-model", base_url=server.base_url)
        job_id = runner.start_job(
            demo_store,
            news,
            JobSettings(method="attrprompt", n=3, backend=config, concurrency=1),
        )
        broken = FakeBackend().enqueue(None, BackendError("The server went away."))
        runner.run_job(demo_store, job_id, backend_factory=lambda c, k: broken)
        assert len(job_requests.failed_requests(demo_store, job_id)) == 1

        at = open_app("generate", NEWS, **openai_settings(server))
        assert "The server went away." in seen(at.error[0].value)
        at.button(key=f"job_retry_{job_id}").click().run()
        wait_for(lambda: jobs.get_job(demo_store, job_id).status == JobStatus.DONE)
    assert job_requests.failed_requests(demo_store, job_id) == []
    assert len(demo_store.list_candidates(news.id)) == 3


def test_a_done_job_short_of_its_count_retries_its_failures_from_the_page(
    demo_store: Store,
) -> None:
    news = demo_store.get_project(project_id(demo_store, NEWS))
    # The first request fails (not retried by the client), the others are answered.
    with FakeOpenAIServer(reply=lambda _: ARTICLE, faults=[400]) as server:
        config = BackendConfig(kind="openai", model="fake-model", base_url=server.base_url)
        settings = JobSettings(method="attrprompt", n=3, backend=config, max_rounds=1)
        job_id = runner.start_job(demo_store, news, settings)
        runner.run_job(demo_store, job_id, api_key="test-key")
        assert jobs.get_job(demo_store, job_id).status == JobStatus.DONE
        assert len(demo_store.list_candidates(news.id)) == 2

        at = open_app("generate", NEWS, **openai_settings(server))
        at.button(key=f"job_retry_{job_id}").click().run()
        wait_for(lambda: jobs.get_job(demo_store, job_id).status == JobStatus.DONE)
    assert job_requests.failed_requests(demo_store, job_id) == []
    assert len(demo_store.list_candidates(news.id)) == 3


def test_the_sidebar_timeout_reaches_the_job(demo_store: Store) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE) as server:
        at = open_app("generate", NEWS, **openai_settings(server), backend_timeout=240.0)
        at.slider(key="generate_n").set_value(1)
        at.button(key="generate_run").click().run()
    assert not at.exception, at.exception
    assert job_of(demo_store, NEWS, preview=True).settings.backend.timeout == 240


def test_a_job_short_of_its_count_names_the_rounds_that_yielded_nothing(
    demo_store: Store,
) -> None:
    tasks = demo_store.get_project(project_id(demo_store, TASKS))
    with FakeOpenAIServer(reply=lambda _: "Sure, here are more tasks:") as server:
        config = BackendConfig(kind="openai", model="fake-model", base_url=server.base_url)
        settings = JobSettings(method="self_instruct", n=5, backend=config)
        job_id = runner.start_job(demo_store, tasks, settings)
        runner.run_job(demo_store, job_id, api_key="test-key")
        at = open_app("generate", TASKS, **openai_settings(server))
    [error] = [seen(error.value) for error in at.error]
    assert error.startswith(
        "Every request failed (2), so nothing was generated. 0 of 5 candidates: stopped after "
        "2 rounds in a row yielded nothing. No candidate came from rounds 1 and 2."
    )


# -- the Ray cluster, batches, extra parameters ------------------------------------------


def test_without_a_cluster_jobs_run_here_and_the_cluster_choice_is_off(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    at = open_app("generate", NEWS)
    choice = at.checkbox(key="generate_on_cluster")
    assert choice.disabled and not choice.value
    assert "Start the app with RAY_ADDRESS set" in choice.help


@pytest.mark.slow
def test_a_job_on_the_ray_cluster_runs_there_and_names_its_nodes(
    demo_store: Store, ray_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAY_ADDRESS", ray_cluster)
    with FakeOpenAIServer(reply=lambda _: ARTICLE, api_key=NODE_KEY, delay=0.2) as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        assert at.checkbox(key="generate_on_cluster").value  # on by default with a cluster
        at.number_input(key="generate_batch_n").set_value(8)
        at.button(key="generate_start").click().run()
        assert not at.exception, at.exception
        job = job_of(demo_store, NEWS)
        assert job.settings.cluster and not runner.running_here(job.id)
        wait_for(lambda: jobs.get_job(demo_store, job.id).status == JobStatus.DONE, 120)
        at.run()
    assert any(f"Job {job.id}** · attrprompt · done · on the Ray cluster" in t for t in texts(at))
    [served] = [t for t in texts(at) if t.startswith("Served by ")]
    assert served.replace("\\", "").count(" requests)") == 2  # both nodes named (as read)
    assert len(demo_store.list_candidates(job.project_id)) == 8


def test_extra_parameters_reach_the_server_and_bad_ones_stop_everything(
    demo_store: Store,
) -> None:
    with FakeOpenAIServer(reply=lambda _: ARTICLE) as server:
        at = open_app("generate", NEWS, **openai_settings(server))
        at.text_input(key="generate_extra_params").input('{"top_k": 40').run()
        assert "Extra parameters are not valid JSON" in at.error[0].value
        assert at.button(key="generate_run").disabled and at.button(key="generate_start").disabled

        at.text_input(key="generate_extra_params").input('{"top_k": 40, "min_p": 0.05}').run()
        assert not at.error
        at.slider(key="generate_n").set_value(1)
        at.button(key="generate_run").click().run()
        [body] = [request.body for request in server.chat_requests]
    assert (body["top_k"], body["min_p"]) == (40, 0.05)
    assert job_of(demo_store, NEWS, preview=True).settings.backend.extra_body == {
        "top_k": 40,
        "min_p": 0.05,
    }


def test_the_job_fields_keep_their_values_across_pages(demo_store: Store) -> None:
    at = open_app("generate", NEWS)
    at.number_input(key="generate_batch_n").set_value(120)
    at.number_input(key="generate_concurrency").set_value(4).run()
    at.switch_page("pages/review.py").run()
    at.switch_page("pages/generate.py").run()
    assert at.number_input(key="generate_batch_n").value == 120
    assert at.number_input(key="generate_concurrency").value == 4


def test_conversations_show_the_assistants_first_request_and_their_options(
    demo_store: Store,
) -> None:
    at = open_app("generate", project=TASKS)
    at.selectbox(key="generate_method").set_value("conversation").run()
    system, first_turn = (code.value for code in at.code[:2])
    assert system.startswith("You are a helpful, knowledgeable assistant.")
    seeds = demo_store.list_seed_tasks(project_id(demo_store, TASKS))
    assert any(first_turn.startswith(task.instruction) for task in seeds), first_turn
    assert at.number_input(key="generate_conversation_exchanges").value == 3
    at.selectbox(key="generate_conversation_start").set_value("attributes").run()
    assert "Starting from attributes needs dimensions with values" in at.warning[0].value
