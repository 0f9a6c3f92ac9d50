"""The Insights page through AppTest: selections, compare mode, coverage, utility, click-through.

Most tests embed with a bag-of-words stand-in (fast, deterministic) so they can check the page
against the core measures computed directly; one test runs the real sentence model.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import insert, update
from streamlit.testing.v1 import AppTest

from components import charts, embedding
from components.background import progress_words
from seedbed.errors import StorageError
from seedbed.insights import embeddings
from seedbed.insights.metrics import average_pairwise_similarity, sample_pair_similarities
from seedbed.insights.selection import fetch_rows
from seedbed.insights.text_metrics import lexical_measures
from seedbed.models import ACCEPTED, Candidate, CandidateFilter, Review
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.app.test_pages import add_candidate, open_app
from tests.insight_fixtures import (
    BagOfWordsEmbedder,
    add_reviewed_news,
    held_embedder,
    news_project,
)

NEWS = "News topic classification"
LATER = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> BagOfWordsEmbedder:
    model = BagOfWordsEmbedder()
    monkeypatch.setattr(embeddings, "load_embedder", lambda: model)
    return model


@pytest.fixture
def news(store: Store, fake_embedder: BagOfWordsEmbedder) -> int:
    """60 accepted AttrPrompt items, 30 accepted class-conditional ones, 10 rejected."""
    project_id = news_project(store)
    add_reviewed_news(store, project_id)
    return project_id


def insights(**state: object) -> AppTest:
    return open_app("insights", project=NEWS, **state)


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def markdown(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def test_many_new_texts_are_embedded_off_the_page_behind_a_bar(
    store: Store, news: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "IN_PAGE", 10)  # the 90 accepted texts are many
    gate = held_embedder(monkeypatch)
    at = insights()
    # The script finished while the texts wait on the server thread: a bar, no measures.
    assert not at.exception
    distinct = len(set(fetch_rows(store, news, ACCEPTED).texts))
    counted = f"Embedding {distinct} new candidates: 0 of {distinct} done"
    [bar] = at.get("progress")
    # The model loads first (a stand-in here, at once), then the counts.
    deadline = time.monotonic() + 30
    while bar.proto.text != counted:
        assert bar.proto.text == "Loading the sentence model for the new candidates…"
        assert time.monotonic() < deadline, bar.proto.text
        time.sleep(0.1)
        [bar] = at.run().get("progress")
    assert "APS" not in metrics(at)
    assert "other tabs and pages answer meanwhile" in " ".join(c.value for c in at.caption)

    gate.set()
    deadline = time.monotonic() + 60
    while "APS" not in metrics(at):
        assert time.monotonic() < deadline, "the measures never appeared"
        time.sleep(0.2)
        at.run()
    assert not at.exception and not at.get("progress")
    hashes = [embeddings.content_hash(text) for text in fetch_rows(store, news, ACCEPTED).texts]
    assert len(store.known_embeddings(embeddings.MODEL_NAME, hashes)) == distinct


def test_embedding_that_fails_on_the_server_says_why_and_can_be_tried_again(
    store: Store, news: int, fake_embedder: BagOfWordsEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "IN_PAGE", 10)
    encode = fake_embedder.encode
    failures = [StorageError("The database is locked. Try again.")]

    def flaky(texts, **kwargs):
        if failures:
            raise failures.pop()
        return encode(texts, **kwargs)

    monkeypatch.setattr(fake_embedder, "encode", flaky)
    at = insights()
    deadline = time.monotonic() + 30
    while not at.error:
        assert time.monotonic() < deadline, "the failure was never shown"
        time.sleep(0.1)
        at.run()
    shown = at.error[0].value.replace("\\", "")  # plain() escapes markdown
    assert "Embedding the candidates stopped: The database is locked" in shown
    assert "APS" not in metrics(at)

    at.button(key=next(b.key for b in at.button if b.label == "Try again")).click().run()
    while "APS" not in metrics(at):
        assert time.monotonic() < deadline, "the measures never appeared"
        time.sleep(0.2)
        at.run()
    assert not at.error


def test_insights_asks_for_more_data_when_empty(demo_store: Store) -> None:
    at = open_app("insights", project=NEWS)
    assert "at least two candidates" in at.info[0].value


def test_headline_shows_the_core_measures_of_the_accepted_set(store: Store, news: int) -> None:
    at = insights()
    rows = fetch_rows(store, news, ACCEPTED)
    vectors = embeddings.embed_texts(rows.texts, store)
    shown = metrics(at)

    assert "accepted · 90 items" in markdown(at)
    assert shown["APS"] == f"{average_pairwise_similarity(vectors):.3f}"
    assert shown["Vocabulary"] == f"{lexical_measures(rows.texts).vocabulary_size:,}"
    table = at.dataframe[0].value
    assert list(table["Measure"])[:3] == [
        "Average pairwise similarity (APS)",
        "Vendi score",
        "Vocabulary size",
    ]
    assert all(table["What it means"].str.len() > 10)  # every measure explains itself


def test_a_selection_narrows_by_method(store: Store, news: int) -> None:
    at = insights()
    at.multiselect(key="insights_a_methods").set_value(["class_conditional"]).run()
    assert "accepted · class\\_conditional · 30 items" in markdown(at)
    rows = fetch_rows(
        store, news, CandidateFilter(statuses=["accepted"], methods=["class_conditional"])
    )
    vectors = embeddings.embed_texts(rows.texts, store)
    assert metrics(at)["APS"] == f"{average_pairwise_similarity(vectors):.3f}"


def test_a_selection_by_annotator_and_status(news: int) -> None:
    at = insights()
    at.multiselect(key="insights_a_statuses").set_value(["rejected"]).run()
    assert "rejected · 10 items" in markdown(at)
    at.multiselect(key="insights_a_annotators").set_value(["ben"]).run()
    # Items 90..99 are the rejected ones; ben reviewed every third item (90, 93, 96, 99).
    assert "rejected · by ben · 4 items" in markdown(at)


def test_a_selection_narrows_by_text_like_review_and_export(store: Store, news: int) -> None:
    # Insights draws the same filter panel as Review and Export, text search included.
    at = insights()
    at.text_input(key="insights_a_text").input("angle").run()
    rows = fetch_rows(store, news, CandidateFilter(statuses=["accepted"], text="angle"))
    assert 2 <= len(rows) < 90
    assert f"accepted · “angle” · {len(rows)} items" in markdown(at)


def test_compare_attrprompt_with_the_class_conditional_baseline(news: int) -> None:
    at = insights(insights_compare=True)
    preset = next(g for g in at.get("button_group") if g.key == "insights_preset")
    preset.set_value("attrprompt_baseline").run()
    assert not at.exception, at.exception

    lines = markdown(at)
    assert "**A** · accepted · attrprompt · 60 items" in lines
    assert "**B** · accepted · class\\_conditional · 30 items" in lines
    baseline = [m for m in at.metric if m.label == "APS"][1]
    assert baseline.proto.delta.endswith(" vs A")
    assert "B vs A at equal size (30 items each)" in baseline.proto.help
    table = at.dataframe[0].value
    assert list(table.columns)[:6] == ["Measure", "A", "B", "A at 30", "B at 30", "B vs A"]
    # The baseline repeats a template: more similar, smaller vocabulary.
    aps = table.set_index("Measure").loc["Average pairwise similarity (APS)"]
    assert float(aps["B"]) > float(aps["A"])


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_titles(at: AppTest) -> list[str]:
    return [(spec["layout"].get("title") or {}).get("text", "") for spec in chart_specs(at)]


def test_size_dependent_measures_are_compared_at_equal_size(store: Store, news: int) -> None:
    at = insights(insights_compare=True)
    preset = next(g for g in at.get("button_group") if g.key == "insights_preset")
    preset.set_value("attrprompt_baseline").run()
    table = at.dataframe[0].value.set_index("Measure")
    vocabulary = table.loc["Vocabulary size"]
    # A's 60 items have more words than 30 of them: the fair figure is A at 30 items.
    whole, at_30 = int(vocabulary["A"].replace(",", "")), vocabulary["A at 30"]
    mean, interval = at_30.split(" (")
    low, high = (float(v.replace(",", "")) for v in interval.rstrip(")").split("–"))
    assert low <= float(mean.replace(",", "")) <= high < whole
    assert vocabulary["B at 30"] == vocabulary["B"]  # B is 30 items: measured whole
    assert table.loc["Average pairwise similarity (APS)", "B vs A"] == "B higher"
    assert vocabulary["B vs A"] == "B lower"  # the template repeats its words
    cards = {m.label: m for m in at.metric if m.proto.delta}
    assert cards["Vocabulary"].proto.delta.startswith("-")
    assert cards["Vocabulary"].proto.help.endswith("beyond the noise.")
    assert any("equal size (each as 30 random items, 30 draws)" in c.value for c in at.caption)


def test_a_difference_within_the_noise_is_said_so_and_not_coloured(news: int) -> None:
    # The rejected items come from the same AttrPrompt generator as the accepted ones.
    at = insights(insights_compare=True)
    preset = next(g for g in at.get("button_group") if g.key == "insights_preset")
    preset.set_value("accepted_rejected").run()
    at.multiselect(key="insights_a_methods").set_value(["attrprompt"]).run()
    table = at.dataframe[0].value.set_index("Measure")
    assert table.loc["Average pairwise similarity (APS)", "B vs A"] == "within the noise"
    aps = next(m for m in at.metric if m.label == "APS" and m.proto.delta)
    assert aps.proto.delta.endswith(" ≈ A")
    change = aps.proto.delta.removesuffix(" ≈ A")
    assert aps.proto.help.endswith(f"at equal size (10 items each): {change}, within the noise.")
    assert aps.proto.color == aps.proto.GRAY  # never a green "improvement"


def test_the_growth_chart_waits_for_ten_items(news: int) -> None:
    at = insights()
    assert "APS as the set grew" in chart_titles(at)
    at.multiselect(key="insights_a_statuses").set_value(["rejected"]).run()
    at.multiselect(key="insights_a_annotators").set_value(["ben"]).run()  # 4 items
    assert "APS as the set grew" not in chart_titles(at)
    notes = " ".join(c.value for c in at.caption)
    assert "APS as the set grew needs at least 10 items" in notes
    assert "has 4" in notes


def test_the_map_offers_and_draws_only_fields_that_tell_points_apart(news: int) -> None:
    at = insights()
    colour = at.selectbox(key="insights_colour")
    assert "method" in colour.options and "annotator" in colour.options
    assert "job" not in colour.options  # no item of the fixture came from a job
    colour.set_value("method").run()
    spec = next(s for s in chart_specs(at) if "coloured by" in s["layout"]["title"]["text"])
    assert spec["layout"]["title"]["text"].endswith("coloured by method")
    assert spec["layout"]["legend"]["title"]["text"] == "method"
    assert sorted(trace["name"] for trace in spec["data"]) == ["attrprompt", "class_conditional"]


def test_pair_legend_says_same_label_only_where_there_are_labels() -> None:
    vectors = np.random.default_rng(4).normal(size=(5, 4))
    unlabelled = sample_pair_similarities(vectors, [None] * 5)
    names = [trace.name for trace in charts.pair_histogram({"all": unlabelled}).data]
    assert names == ["all 10 pairs"]
    labelled = sample_pair_similarities(vectors, ["a", "a", "b", "b", "b"])
    names = [trace.name for trace in charts.pair_histogram({"all": labelled}).data]
    assert names == ["same label: all 4 pairs", "different labels: all 6 pairs"]


def test_compare_accepted_with_rejected(news: int) -> None:
    at = insights(insights_compare=True)
    preset = next(g for g in at.get("button_group") if g.key == "insights_preset")
    preset.set_value("accepted_rejected").run()
    lines = markdown(at)
    assert "**A** · accepted · 90 items" in lines and "**B** · rejected · 10 items" in lines


def test_coverage_reports_each_dimension_against_its_target(store: Store, news: int) -> None:
    at = insights()
    summary = next(d.value for d in at.dataframe if "Dimension" in d.value.columns)
    summary = summary.set_index("Dimension")
    assert list(summary.index) == ["length", "style", "subtopic", "location"]
    assert (summary["Items"] == 60).all()  # the AttrPrompt items carry attributes
    assert (summary["Without the attribute"] == 30).all()  # the baseline's do not
    assert (summary["p-value"] == "< 0.001").all()  # the fixture skews every dimension


def test_the_map_opens_a_candidate_in_review(store: Store, news: int) -> None:
    at = insights()
    chosen = at.selectbox(key="insights_open_choice")
    target = chosen.options[5]
    candidate_id = int(target.split(" · ")[0].lstrip("#"))
    chosen.set_value(candidate_id).run()
    at.button(key="insights_open").click().run()
    assert not at.exception, at.exception
    assert any(title.value == "Review" for title in at.title)
    shown = [element.value for element in (*at.caption, *at.markdown)]
    assert any(f"Candidate {candidate_id}" in value for value in shown), shown


def test_measures_follow_new_decisions(store: Store, news: int) -> None:
    at = insights()
    assert "accepted · 90 items" in markdown(at)
    new = add_candidate(
        store, NEWS, text="A storm closed the harbour for two days.", label="business"
    )
    store.record_review(Review(candidate_id=new, decision="accepted", annotator="ana"))
    at.run()
    assert "accepted · 91 items" in markdown(at)


# -- utility check --------------------------------------------------------------------
REAL_ROWS = [
    ("business", "a regional bank reported results well above last year's"),
    ("politics", "the opposition party faced questions after a difficult week"),
    ("science and technology", "a university lab announced a plan"),
    ("sports", "the national squad won praise for a bold decision"),
    ("health", "the public clinic opened a new chapter"),
]
REAL_CSV = "text,label\n" + "\n".join(f'"{text}",{label}' for label, text in REAL_ROWS)


def test_a_malformed_real_set_is_refused_with_line_numbers(news: int) -> None:
    at = insights()
    bad = b'{"text": "fine", "label": "sports"}\n{oops\n{"text": "no label"}\n'
    at.file_uploader(key="insights_utility_file").set_value(
        ("real.jsonl", bad, "application/jsonl")
    )
    at.run()
    assert "cannot be used yet" in at.error[0].value
    problems = at.code[-1].value.splitlines()
    assert problems[0].startswith("Line 2: not valid JSON")
    assert problems[1] == "Line 3: needs an object with 'text' and 'label' keys."
    assert not any(m.label == "Accuracy" for m in at.metric)


def when_checked(at, selections: int = 1, timeout: float = 120.0):
    """Rerun the page until the utility check (a server thread) shows its outcome."""
    deadline = time.monotonic() + timeout
    while True:
        assert not at.exception, at.exception
        refused = [w for w in at.warning if "accepted items in this selection" in w.value]
        outcomes = [m for m in at.metric if m.label == "Accuracy"] + refused
        if len(outcomes) >= selections:
            return at
        assert time.monotonic() < deadline, "the utility check did not finish"
        time.sleep(0.2)
        at.run()


def test_the_utility_check_runs_off_the_page_with_counts(news: int, store: Store) -> None:
    at = insights()
    at.file_uploader(key="insights_utility_file").set_value(
        ("real.csv", REAL_CSV.encode(), "text/csv")
    )
    at.run()
    at.button(key="insights_utility_run").click().run()
    # The script run returned at once: the check works on a server thread meanwhile.
    bars = [p.value for p in at.get("progress")]
    assert bars or any(m.label == "Accuracy" for m in at.metric)  # or it was that quick
    when_checked(at)
    assert not at.get("progress")
    # The real texts' vectors are the fast ones, kept apart from the candidates' cache.
    real = [embeddings.content_hash(text) for _, text in REAL_ROWS]
    assert len(store.get_embeddings(embeddings.FAST_MODEL_NAME, real)) == len(REAL_ROWS)
    assert store.get_embeddings(embeddings.MODEL_NAME, real) == {}


def test_the_utility_check_scores_each_selection(news: int) -> None:
    at = insights(insights_compare=True)
    preset = next(g for g in at.get("button_group") if g.key == "insights_preset")
    preset.set_value("attrprompt_baseline").run()
    upload = at.file_uploader(key="insights_utility_file")
    upload.set_value(("real.csv", REAL_CSV.encode(), "text/csv"))
    at.run()
    assert "5 real items, 5 labels" in " ".join(c.value for c in at.caption)
    at.button(key="insights_utility_run").click().run()
    when_checked(at, selections=2)

    accuracy = [m for m in at.metric if m.label == "Accuracy"]
    assert len(accuracy) == 2  # one per selection
    notes = [c.value for c in at.caption if c.value.startswith("Trained on")]
    assert notes == [
        "Trained on 60 accepted items, tested on 5.",
        "Trained on 30 accepted items, tested on 5.",
    ]
    for metric in accuracy:
        assert 0.0 <= float(metric.value.rstrip("%")) <= 100.0


def test_a_large_real_set_is_tested_on_a_stratified_sample_unless_asked(news: int) -> None:
    rows = [(label, f"{text} number {i}") for i in range(500) for label, text in REAL_ROWS]
    big = "text,label\n" + "\n".join(f'"{text}",{label}' for label, text in rows)
    at = insights()
    at.file_uploader(key="insights_utility_file").set_value(("big.csv", big.encode(), "text/csv"))
    at.run()
    assert at.number_input(key="insights_utility_sample").value == 2_000
    assert "Testing on 2,000 of the file's items" in " ".join(c.value for c in at.caption)
    at.button(key="insights_utility_run").click().run()
    when_checked(at)
    assert "Trained on 90 accepted items, tested on 2,000." in [c.value for c in at.caption]

    at.number_input(key="insights_utility_sample").set_value(2_500).run()
    at.button(key="insights_utility_run").click().run()
    when_checked(at)
    assert "Trained on 90 accepted items, tested on 2,500." in [c.value for c in at.caption]


def test_embedding_progress_counts_and_estimates_the_time_left() -> None:
    assert progress_words("real texts", 0, 7_600, 0.5) == (
        "Embedding 7,600 new real texts: 0 of 7,600 done"
    )
    assert progress_words("real texts", 640, 7_600, 10.0).endswith(
        "640 of 7,600 done, about 2 min left"
    )
    assert progress_words("candidates", 500, 1_000, 20.0).endswith("about 20 s left")


# -- the real sentence model ------------------------------------------------------------
@pytest.mark.slow
def test_insights_measures_the_accepted_set(demo_store: Store) -> None:
    texts = {
        "sports": "The home team won the cup final after extra time.",
        "business": "Shares in the airline rose after strong quarterly profits.",
        "health": "A new clinic opened to cut waiting times for patients.",
    }
    ids = [add_candidate(demo_store, NEWS, text=t, label=label) for label, t in texts.items()]
    for candidate_id in ids:
        demo_store.record_review(
            Review(candidate_id=candidate_id, decision="accepted", annotator="t")
        )
    at = open_app("insights", project=NEWS)
    aps = float(metrics(at)["APS"])
    assert 0.0 < aps < 0.5  # unrelated news: far apart
    assert float(metrics(at)["Vendi score"]) > 2.0  # close to three distinct items
    assert np.isfinite(aps)


def test_a_selection_by_job_and_by_creation_day(store: Store, news: int) -> None:
    with store.engine.begin() as conn:
        job_id = conn.execute(
            insert(t.jobs).values(
                project_id=news, method="attrprompt", status="done", settings={}, created_at=LATER
            )
        ).inserted_primary_key[0]
    for text in ("Late news from the harbour.", "Another late story about rain."):
        new = store.add_candidate(
            Candidate(
                project_id=news,
                content={"text": text, "label": "health"},
                label="health",
                method="attrprompt",
                created_at=LATER,
                job_id=job_id,
            )
        )
        store.record_review(Review(candidate_id=new, decision="accepted", annotator="ana"))
    at = insights()
    at.multiselect(key="insights_a_jobs").set_value([job_id]).run()
    assert f"accepted · job {job_id} · 2 items" in markdown(at)
    at.multiselect(key="insights_a_jobs").set_value([]).run()
    at.date_input(key="insights_a_dates").set_value((LATER.date(), LATER.date())).run()
    assert "accepted · 22 Nov–22 Nov · 2 items" in markdown(at)
    at.date_input(key="insights_a_dates").set_value((date(2026, 11, 20), date(2026, 11, 21))).run()
    assert "accepted · 20 Nov–21 Nov · 90 items" in markdown(at)


# -- cost per good item ------------------------------------------------------------------
def _job_with_requests(
    store: Store, project_id: int, method: str, spent: list[tuple[int, int, float | None]]
) -> int:
    """A done job whose requests used (prompt, completion tokens, dollars) each; its items."""
    with store.engine.begin() as conn:
        job_id = conn.execute(
            insert(t.jobs).values(
                project_id=project_id, method=method, status="done", settings={}, created_at=LATER
            )
        ).inserted_primary_key[0]
        for number, (prompt, completion, cost) in enumerate(spent):
            conn.execute(
                insert(t.job_requests).values(
                    job_id=job_id,
                    round=1,
                    key=f"r{number}",
                    stage="generate",
                    request={},
                    status="done",
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    cost_usd=cost,
                    created_at=LATER,
                )
            )
        conn.execute(
            update(t.candidates)
            .where(t.candidates.c.project_id == project_id, t.candidates.c.method == method)
            .values(job_id=job_id)
        )
    return job_id


def test_cost_per_good_item_by_method_and_by_job(store: Store, news: int) -> None:
    attrprompt = _job_with_requests(store, news, "attrprompt", [(4000, 2000, 0.30)] * 2)
    _job_with_requests(store, news, "class_conditional", [(1000, 500, 0.10)])
    at = insights()
    table = next(d.value for d in at.dataframe if "Cost per accepted" in d.value.columns)
    rows = table.set_index("Method")
    # 60 accepted and 10 rejected AttrPrompt items for $0.60 and 12,000 tokens.
    assert rows.loc["attrprompt", "Accepted"] == 60
    assert rows.loc["attrprompt", "Acceptance rate"] == "86%"
    assert rows.loc["attrprompt", "Tokens per accepted"] == "200"
    assert rows.loc["attrprompt", "Cost per accepted"] == "$0.01000"
    assert rows.loc["class_conditional", "Acceptance rate"] == "100%"
    assert rows.loc["class_conditional", "Cost per accepted"] == f"${0.10 / 30:,.5f}"
    # The varied AttrPrompt items add more diversity than the template's.
    before, after = (float(v) for v in rows.loc["attrprompt", "Vendi before → after"].split(" → "))
    assert after > before
    assert float(rows.loc["attrprompt", "Vendi gained per $"].replace(",", "")) == pytest.approx(
        (after - before) / 0.60, rel=0.02
    )

    next(g for g in at.get("button_group") if g.key == "insights_cost_by").set_value("job").run()
    table = next(d.value for d in at.dataframe if "Cost per accepted" in d.value.columns)
    assert list(table["Job"]) == [f"job {attrprompt}", f"job {attrprompt + 1}"]


def test_cost_without_a_price_says_so(store: Store, news: int) -> None:
    _job_with_requests(store, news, "attrprompt", [(4000, 2000, None)])
    at = insights()
    table = next(d.value for d in at.dataframe if "Cost per accepted" in d.value.columns)
    row = table.set_index("Method").loc["attrprompt"]
    assert row["Cost per accepted"] == "–" and row["Tokens per accepted"] == "100"
    assert any("No price for some of the models of attrprompt" in c.value for c in at.caption)


def test_cost_tab_without_jobs_points_to_generate(news: int) -> None:
    at = insights()
    assert any("No generation job has run" in i.value for i in at.info)


def test_conversations_are_measured_by_exchanges_and_varied_openings(
    demo_store: Store, fake_embedder: BagOfWordsEmbedder
) -> None:
    general = next(p.id for p in demo_store.list_projects() if p.kind == "instruction")
    openings = ["Plan a trip to Lima?", "Plan a trip to Lima?", "Explain how tides work?"]
    for number, opening in enumerate(openings, start=1):
        content = {"user_1": opening, "assistant_1": f"Answer {number}."}
        for exchange in range(2, number + 1):
            content |= {f"user_{exchange}": "More?", f"assistant_{exchange}": "Yes."}
        demo_store.add_candidate(
            Candidate(project_id=general, content=content, method="conversation", status="accepted")
        )
    at = open_app("insights", project="General instruction tuning")
    assert not at.exception
    shown = metrics(at)
    assert shown["Conversations"] == "3"
    assert shown["Exchanges per conversation"] == "2.0"  # 1, 2 and 3 exchanges
    assert shown["Different first user turns"] == "67%"
