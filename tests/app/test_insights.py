"""The Insights page through AppTest: selections, compare mode, coverage, utility, click-through.

Most tests embed with a bag-of-words stand-in (fast, deterministic) so they can check the page
against the core measures computed directly; one test runs the real sentence model.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from components.insights.data import embedding_progress
from seedbed.insights import embeddings
from seedbed.insights.metrics import average_pairwise_similarity
from seedbed.insights.selection import fetch_rows
from seedbed.insights.text_metrics import lexical_measures
from seedbed.models import ACCEPTED, Candidate, CandidateFilter, Review
from seedbed.store import schema as t
from seedbed.store.core import Store
from tests.app.test_pages import add_candidate, open_app
from tests.insight_fixtures import BagOfWordsEmbedder, add_reviewed_news, news_project

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
    assert baseline.proto.delta.endswith("vs A")
    table = at.dataframe[0].value
    assert list(table.columns)[:3] == ["Measure", "A", "B"]
    # The baseline repeats a template: more similar, smaller vocabulary.
    aps = table.set_index("Measure").loc["Average pairwise similarity (APS)"]
    assert float(aps["B"]) > float(aps["A"])


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


def test_the_utility_check_scores_each_selection(news: int) -> None:
    at = insights(insights_compare=True)
    preset = next(g for g in at.get("button_group") if g.key == "insights_preset")
    preset.set_value("attrprompt_baseline").run()
    upload = at.file_uploader(key="insights_utility_file")
    upload.set_value(("real.csv", REAL_CSV.encode(), "text/csv"))
    at.run()
    assert "5 real items, 5 labels" in " ".join(c.value for c in at.caption)
    at.button(key="insights_utility_run").click().run()
    assert not at.exception, at.exception

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
    assert not at.exception, at.exception
    assert "Trained on 90 accepted items, tested on 2,000." in [c.value for c in at.caption]

    at.number_input(key="insights_utility_sample").set_value(2_500).run()
    at.button(key="insights_utility_run").click().run()
    assert "Trained on 90 accepted items, tested on 2,500." in [c.value for c in at.caption]


def test_embedding_progress_counts_and_estimates_the_time_left() -> None:
    assert embedding_progress("real texts", 0, 7_600, 0.5) == (
        "Embedding 7,600 new real texts: 0 of 7,600 done"
    )
    assert embedding_progress("real texts", 640, 7_600, 10.0).endswith(
        "640 of 7,600 done, about 2 min left"
    )
    assert embedding_progress("candidates", 500, 1_000, 20.0).endswith("about 20 s left")


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
