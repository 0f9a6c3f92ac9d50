"""Insights in a real browser, on the real sentence model: what a stakeholder demo shows.

The project holds accepted AttrPrompt and class-conditional items (and one item made of
markup); the test measures it, compares the two methods, looks at coverage, opens a point
of the map in Review, and runs the utility check on an uploaded file.
"""

from __future__ import annotations

import pytest

from seedbed.insights.selection import fetch_rows
from seedbed.models import Candidate, CandidateFilter, Review
from tests.e2e.conftest import Server, click_tab, screenshot
from tests.insight_fixtures import add_reviewed_news, news_project

pytestmark = pytest.mark.e2e

TIMEOUT = 120_000
HOSTILE = '<b>bold</b> <script>alert(1)</script><img src=x onerror="alert(2)"> & more'
REAL_CSV = """text,label
Shares in the airline rose after strong quarterly profits.,business
The central bank held interest rates steady this month.,business
Parliament passed the budget after a long night of debate.,politics
The president named a new foreign minister on Tuesday.,politics
Researchers unveiled a battery that charges in minutes.,science and technology
The space agency launched a satellite to study the oceans.,science and technology
The home team won the cup final after extra time.,sports
A young sprinter broke the national record at the trials.,sports
A new clinic opened to cut waiting times for patients.,health
Doctors urged parents to vaccinate children before winter.,health
"""

# Page coordinates of one candidate's point on the map (plotly's own axis conversion).
POINT_OF = """(id) => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent);
  for (const plot of plots) {
    for (const trace of plot._fullData || []) {
      const i = (trace.customdata || []).findIndex(d => d && d[0] === id);
      if (i < 0) continue;
      const box = plot.getBoundingClientRect(), size = plot._fullLayout._size;
      return {x: box.left + size.l + plot._fullLayout.xaxis.d2p(trace.x[i]),
              y: box.top + size.t + plot._fullLayout.yaxis.d2p(trace.y[i])};
    }
  }
  return null;
}"""


def settle(page) -> None:
    """Wait for the script run to end and every visible chart to be drawn."""
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=TIMEOUT)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
              .filter(e => e.offsetParent).every(e => e.querySelector('.main-svg'))""",
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(500)


def tall_screenshot(page, name: str, height: int) -> None:
    """Streamlit scrolls inside its own container: a tall window shows the whole page."""
    page.set_viewport_size({"width": 1400, "height": height})
    page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollTo(0, 0)")
    settle(page)
    screenshot(page, name)
    page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.slow
def test_insights_demo(page, server: Server, tmp_path) -> None:
    store = server.store
    project_id = news_project(store)
    add_reviewed_news(store, project_id)
    hostile = store.add_candidate(
        Candidate(
            project_id=project_id,
            content={"text": HOSTILE, "label": "sports"},
            method="attrprompt",
            label="sports",
            attributes={"location": "Lima, Peru"},
        )
    )
    store.record_review(Review(candidate_id=hostile, decision="accepted", annotator="ana"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(server.url)
    page.get_by_text("Load a demo project").wait_for()
    page.get_by_test_id("stSidebarNav").get_by_text("Insights", exact=True).click()
    page.get_by_role("heading", name="Insights").wait_for()
    page.get_by_text("accepted · 91 items").wait_for(timeout=TIMEOUT)  # embeds on first view
    page.get_by_test_id("stMetric").first.wait_for()
    tall_screenshot(page, "insights-01-diversity", 2300)

    # AttrPrompt against the plain class-conditional baseline.
    page.get_by_text("Compare two selections").click()
    page.get_by_text("AttrPrompt vs class-conditional", exact=True).click()
    page.get_by_text("B · accepted · class_conditional · 30 items").wait_for(timeout=TIMEOUT)
    tall_screenshot(page, "insights-02-compare", 3000)
    click_tab(page, "Bias and coverage")
    page.get_by_text("Attribute coverage against the target weights").wait_for()
    tall_screenshot(page, "insights-03-coverage", 3000)

    # Utility check, both selections scored on the same real set.
    click_tab(page, "Utility check")
    real = tmp_path / "real.csv"
    real.write_text(REAL_CSV, encoding="utf-8")
    # The Duplicates tab holds an uploader too (an evaluation set): take the utility check's.
    uploader = page.locator(".st-key-insights_utility_file input[type=file]")
    uploader.set_input_files(str(real))
    page.get_by_text("10 real items, 5 labels").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Run the utility check").click()
    page.get_by_text("Trained on 61 accepted items, tested on 10.").wait_for(timeout=TIMEOUT)
    page.get_by_text("Trained on 30 accepted items, tested on 10.").wait_for()
    assert page.get_by_text("Accuracy").count() == 2
    tall_screenshot(page, "insights-04-utility", 2200)

    # The map: the markup item's hover shows its text as text; a click opens it in Review.
    # Back to one selection, which keeps A's choice: accepted AttrPrompt items.
    page.get_by_text("Compare two selections").click()
    page.get_by_text("accepted · attrprompt · 61 items").wait_for(timeout=TIMEOUT)
    settle(page)
    click_tab(page, "Embedding map")
    page.get_by_text("PCA of the sentence embeddings: 61 of 61 items").wait_for(timeout=TIMEOUT)
    page.locator(".st-key-insights_map").scroll_into_view_if_needed()
    settle(page)
    point = page.evaluate(POINT_OF, hostile)
    assert point is not None
    page.mouse.move(point["x"], point["y"])
    hover = page.locator(".hoverlayer")
    hover.get_by_text("<script>alert(1)</script>", exact=False).wait_for()
    assert hover.locator("script, img").count() == 0
    screenshot(page, "insights-05-map-hover")
    page.mouse.click(point["x"], point["y"])
    page.get_by_text("(1 selected)", exact=False).wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Open in Review").click()
    page.get_by_role("heading", name="Review").wait_for()
    page.get_by_text(f"Candidate {hostile}", exact=False).first.wait_for()
    page.get_by_text(HOSTILE).first.wait_for()
    assert dialogs == []


@pytest.mark.slow
def test_many_new_texts_embed_on_the_server_while_other_pages_answer(page, server: Server) -> None:
    store = server.store
    project_id = news_project(store)
    add_reviewed_news(store, project_id, attrprompt=600, baseline=200, rejected=0)
    distinct = len(set(fetch_rows(store, project_id, CandidateFilter()).texts))
    assert distinct > 300  # more than the page embeds in its own script

    page.goto(f"{server.url}/insights?project={project_id}")
    page.get_by_text(f"Embedding {distinct:,} new candidates", exact=False).wait_for(
        timeout=TIMEOUT
    )
    page.get_by_text("other tabs and pages answer meanwhile").wait_for()
    screenshot(page, "insights-06-embedding-on-the-server")
    assert page.get_by_test_id("stMetric").count() == 0

    # Another page answers meanwhile; back on Insights, the same work is still counting.
    page.get_by_test_id("stSidebarNav").get_by_text("Review", exact=True).click()
    page.get_by_role("heading", name="Review").wait_for(timeout=5_000)
    page.get_by_test_id("stSidebarNav").get_by_text("Insights", exact=True).click()
    page.get_by_text("accepted · 800 items").wait_for(timeout=TIMEOUT)
    page.get_by_test_id("stMetric").first.wait_for()
    assert page.get_by_test_id("stProgress").count() == 0
