"""The Review page in a real browser: keyboard review, two annotators, hostile markup."""

from __future__ import annotations

import pytest

from seedbed.files.presets import list_presets, load_preset
from seedbed.models import Candidate, CandidateStatus, Check
from seedbed.review import preferences
from seedbed.review.judge import JudgeResult, save_result
from tests.e2e.conftest import Server, screenshot

pytestmark = pytest.mark.e2e

REPORTS = [
    "Ana scored twice as the visitors won the derby.",
    "The cup final went to penalties after a goalless draw.",
    "A late header kept the champions top of the table.",
    "The marathon was moved to the morning because of heat.",
]


def news_project(server: Server) -> int:
    preset = next(p for p in list_presets() if "News" in p.project.name)
    return load_preset(server.store, preset)


CHECKS = [
    Check(name="novelty", passed=True, score=0.31, detail="closest: The derby ended in a draw."),
    Check(name="length", passed=True, score=9.0, detail="9 words (allowed 4-2000)"),
    Check(name="refusal", passed=True),
]


def add_reports(server: Server, project_id: int, texts: list[str]) -> list[int]:
    return [
        server.store.add_candidate(
            Candidate(
                project_id=project_id,
                content={"text": text, "label": "sports"},
                label="sports",
                attributes={"style": "match report", "location": "Leeds"},
                method="attrprompt",
                model="test-model",
                checks=CHECKS,
            )
        )
        for text in texts
    ]


def settle(page) -> None:
    """Wait until the script run is over (the status widget hides)."""
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=30_000)


def open_review(page, server: Server, annotator: str | None = None) -> None:
    page.goto(server.url)
    if annotator is not None:
        name = page.get_by_role("textbox", name="Annotator")
        name.fill(annotator)
        name.press("Enter")
        settle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Review", exact=True).click()
    page.get_by_role("heading", name="Review").wait_for()
    settle(page)


def switch_on(page, key: str) -> None:
    """Turn on the toggle with this widget key, once its expander has finished opening (a
    click during the opening animation can land beside it), and wait for the rerun."""
    toggle = page.locator(f".st-key-{key}")
    box = toggle.locator("input")
    for _ in range(3):
        toggle.locator("label").click()
        page.wait_for_timeout(300)
        if box.is_checked():
            break
    assert box.is_checked()
    settle(page)


def shows(page, text: str) -> None:
    page.get_by_test_id("stMain").get_by_text(text, exact=True).first.wait_for()


def press(page, key: str) -> None:
    """A key press on the page itself (no field focused), as a reviewer types it."""
    settle(page)
    page.wait_for_function("Boolean(window.__seedbedShortcuts)")  # the shortcuts are live
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def test_reviewing_with_the_keyboard_lands_in_the_store(page, server: Server) -> None:
    project_id = news_project(server)
    ids = add_reports(server, project_id, REPORTS)
    scores = {"helpfulness": 4.0, "correctness": 5.0, "instruction_following": 3.0}
    save_result(server.store, project_id, JudgeResult(ids[0], scores=scores, model="judge-model"))
    open_review(page, server, annotator="kim")
    shows(page, REPORTS[0])
    assert page.get_by_text("Keys:").first.is_visible()
    screenshot(page, "review-01-queue")

    press(page, "a")
    shows(page, REPORTS[1])
    press(page, "r")
    shows(page, REPORTS[2])
    press(page, "s")
    shows(page, REPORTS[3])
    assert server.store.get_candidate(ids[0]).status == CandidateStatus.ACCEPTED
    assert server.store.get_candidate(ids[1]).status == CandidateStatus.REJECTED
    assert server.store.get_candidate(ids[2]).status == CandidateStatus.PENDING

    press(page, "u")  # the rejection of the second report is undone: it is back on screen
    shows(page, REPORTS[1])
    settle(page)
    assert server.store.get_candidate(ids[1]).status == CandidateStatus.PENDING

    press(page, "e")  # the edit form opens with the cursor in the text
    field = page.locator(f".st-key-review_edit_{ids[1]}_text textarea")
    field.wait_for()
    page.wait_for_function(
        "document.activeElement && document.activeElement.tagName === 'TEXTAREA'"
    )
    page.keyboard.press("End")
    page.keyboard.type(" A sad day for us all.")  # 'a', 's', 'u' typed here are just text
    settle(page)
    screenshot(page, "review-02-edit")
    page.locator(".st-key-review_save_edit button").click()
    shows(page, REPORTS[3])  # the skipped third report waits until the others are done
    settle(page)
    screenshot(page, "review-03-after-edit")

    edited = server.store.get_candidate(ids[1])
    assert edited.status == CandidateStatus.ACCEPTED
    assert edited.content["text"] == REPORTS[1]
    assert edited.final_content["text"] == REPORTS[1] + " A sad day for us all."
    trail = server.store.list_reviews(ids[1])
    assert [(r.decision, r.annotator) for r in trail] == [
        ("rejected", "kim"),
        ("undo", "kim"),
        ("accepted", "kim"),
    ]
    assert server.store.get_candidate(ids[3]).status == CandidateStatus.PENDING


def test_one_key_press_makes_exactly_one_decision(page, server: Server) -> None:
    """`r` is Streamlit's rerun key too: pressed on Review it must reject once, nothing more."""
    ids = add_reports(server, news_project(server), REPORTS)
    open_review(page, server, annotator="kim")
    shows(page, REPORTS[0])
    # A listener on the document, where Streamlit's own keys are read, after ours.
    page.evaluate(
        "window.__keysAfterOurs = [];"
        "document.addEventListener('keydown', (e) => window.__keysAfterOurs.push(e.key));"
    )
    press(page, "r")
    shows(page, REPORTS[1])
    page.wait_for_timeout(1500)  # room for a second run, had the key started one
    settle(page)
    statuses = [server.store.get_candidate(i).status for i in ids]
    assert statuses == [CandidateStatus.REJECTED] + [CandidateStatus.PENDING] * 3
    assert [len(server.store.list_reviews(i)) for i in ids] == [1, 0, 0, 0]
    assert page.evaluate("window.__keysAfterOurs") == []  # Streamlit never saw the `r`
    shows(page, REPORTS[1])


def test_two_annotators_at_once_get_different_candidates(browser, page, server: Server) -> None:
    ids = add_reports(server, news_project(server), REPORTS[:2])
    open_review(page, server, annotator="kim")
    shows(page, REPORTS[0])
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = context.new_page()
    try:
        open_review(other, server, annotator="lee")
        shows(other, REPORTS[1])
        screenshot(other, "review-04-second-annotator")
        assert other.get_by_test_id("stMain").get_by_text(REPORTS[0]).count() == 0
        press(other, "a")
        other.get_by_text("Nothing is waiting for review.").wait_for()
    finally:
        context.close()
    press(page, "r")
    page.get_by_text("Nothing is waiting for review.").wait_for()
    assert [r.annotator for r in server.store.list_reviews(ids[0])] == ["kim"]
    assert [r.annotator for r in server.store.list_reviews(ids[1])] == ["lee"]


def test_preference_verdicts_with_the_keyboard(page, server: Server) -> None:
    preset = next(p for p in list_presets() if "News" not in p.project.name)
    project_id = load_preset(server.store, preset)
    outputs = ["Teal is a blue-green colour.", "Olive is a dull yellow-green."]
    for output in outputs:
        content = {"instruction": "Name a colour and describe it.", "input": "", "output": output}
        server.store.add_candidate(
            Candidate(project_id=project_id, content=content, method="self_instruct")
        )
    page.goto(server.url)
    page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
    page.get_by_role("option", name=preset.project.name).click()
    settle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Review", exact=True).click()
    page.get_by_test_id("stMain").get_by_text("Preference", exact=True).click()
    page.locator(".st-key-pref_a").wait_for()
    settle(page)
    shows(page, outputs[0])
    screenshot(page, "review-07-preference")
    press(page, "2")
    page.get_by_text("No pair is waiting for you", exact=False).wait_for()
    [row] = preferences.iter_preference_pairs(server.store, project_id)
    assert row["verdict"] == "better" and {row["chosen"], row["rejected"]} == set(outputs)


def test_hostile_markup_shows_literally_and_runs_nothing(page, server: Server) -> None:
    project_id = news_project(server)
    hostile = (
        '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"> '
        "[click me](javascript:window.__pwned=3)"
    )
    server.store.add_candidate(
        Candidate(
            project_id=project_id,
            content={"text": hostile, "label": "sports"},
            label="sports",
            method="t",
            model='<img src="y" onerror="window.__pwned = 4">',
            attributes={"style": "[style](javascript:window.__pwned=5)"},
        )
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_review(page, server)
    page.get_by_text("<script>window.__pwned = 1</script>", exact=False).first.wait_for()
    settle(page)
    screenshot(page, "review-05-hostile")
    page.get_by_test_id("stMain").get_by_text("Table", exact=True).click()
    page.locator(".st-key-review_table_open").wait_for()
    settle(page)
    screenshot(page, "review-06-hostile-table")
    main = page.get_by_test_id("stMain")
    assert main.locator("img[src='x'], img[src='y']").count() == 0
    assert main.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_a_judge_measured_against_people_decides_alone_once_allowed(page, server: Server) -> None:
    from seedbed.review import curation

    project_id = news_project(server)
    decided = add_reports(server, project_id, [f"Decided report number {n}." for n in range(20)])
    for n, candidate_id in enumerate(decided):
        decision = "accepted" if n % 2 else "rejected"
        curation.decide(server.store, server.store.get_candidate(candidate_id), decision, "ana")
        overall = 5.0 if n % 2 else 1.0
        scores = dict.fromkeys(("helpfulness", "correctness", "instruction_following"), overall)
        save_result(server.store, project_id, JudgeResult(candidate_id, scores, model="judge-a"))
    unsure, sure = add_reports(server, project_id, REPORTS[:2])
    for candidate_id, overall in ((unsure, 3.0), (sure, 5.0)):
        scores = dict.fromkeys(("helpfulness", "correctness", "instruction_following"), overall)
        save_result(server.store, project_id, JudgeResult(candidate_id, scores, model="judge-a"))
    open_review(page, server, annotator="kim")
    shows(page, REPORTS[0])
    main = page.get_by_test_id("stMain")
    main.get_by_text(
        "judge-a: helpfulness 3/5 · correctness 3/5 · instruction-following 3/5 → reject"
    ).wait_for()

    settle(page)
    main.get_by_text("AI judges", exact=True).click()
    switch_on(page, f"review_auto_allow_{project_id}")
    run = main.get_by_role("button", name="Auto-decide what it is sure of")
    run.wait_for()
    run.click()
    main.get_by_text("The judge accepted 1 and rejected 0 candidates on its own").wait_for()
    assert server.store.get_candidate(sure).status == CandidateStatus.ACCEPTED
    assert server.store.get_candidate(sure).reviewed_by == "AI judge judge-a (automatic)"
    assert server.store.get_candidate(unsure).status == CandidateStatus.PENDING

    main.get_by_text("Annotators and agreement", exact=True).click()
    switch_on(page, "review_show_agreement")
    main.get_by_text("Krippendorff's alpha, people").wait_for()
    caption = main.get_by_text("Cohen's kappa of each AI judge against people", exact=False)
    caption.wait_for()
    caption.scroll_into_view_if_needed()
    screenshot(page, "review-judges")
