"""The Attributes page through AppTest: tables, LLM proposals, and the similar-label check."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from seedbed.methods import proposals
from seedbed.models import AttributeDimension, AttributeValue
from seedbed.store.core import Store
from tests.app.test_pages import open_app, openai_settings, project_id, seen
from tests.fake_openai_server import FakeOpenAIServer

NEWS = "News topic classification"
TASKS = "General instruction tuning"


def edit_table(at: AppTest, prefix: str, edited_rows: dict[int, dict]) -> None:
    """Tick or untick cells of the editor whose key starts with `prefix`, as a user would."""
    [editor] = [e for e in at.data_editor if (e.key or "").startswith(prefix)]
    at.session_state[editor.key] = {
        "edited_rows": edited_rows,
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()


def asked(server: FakeOpenAIServer) -> list[str]:
    return [request.messages[-1]["content"] for request in server.chat_requests]


def test_attributes_page_counts_combinations(demo_store: Store) -> None:
    at = open_app("attributes", project=NEWS)
    assert at.metric[0].value == "70,760"
    names = at.data_editor[0].value
    assert list(names["name"]) == ["length", "style", "subtopic", "location"]


def test_attributes_page_without_dimensions_counts_zero(demo_store: Store) -> None:
    at = open_app("attributes", project=TASKS)
    assert at.metric[0].value == "0"
    assert at.button(key="attributes_propose").disabled is False


def test_the_model_proposes_dimensions_and_the_user_adds_those_kept(demo_store: Store) -> None:
    reply = (
        "Sure! Here are some attributes:\n"
        "1. **Domain**: the field the task belongs to\n"
        "2. Difficulty: how hard the task is\n"
        "3. Tone: how formal the wording is"
    )
    with FakeOpenAIServer(reply=lambda _: reply, api_key="test-key") as server:
        at = open_app("attributes", TASKS, **openai_settings(server))
        at.button(key="attributes_propose").click().run()
        pid = project_id(demo_store, TASKS)
        expected = proposals.dimension_messages(demo_store.get_project(pid), 5)[0].content
        assert asked(server) == [expected]
    proposed = [e for e in at.data_editor if e.key.startswith("attributes_proposals_")][0].value
    assert list(proposed["name"]) == ["Domain", "Difficulty", "Tone"]
    edit_table(at, "attributes_proposals_", {1: {"keep": False}})
    assert at.button(key="attributes_add_proposals").proto.label == "Add 2 to the attributes"
    at.button(key="attributes_add_proposals").click().run()
    assert not at.exception, at.exception
    saved = demo_store.list_dimensions(pid)
    assert [(d.name, d.description) for d in saved] == [
        ("Domain", "the field the task belongs to"),
        ("Tone", "how formal the wording is"),
    ]
    assert list(at.data_editor[0].value["name"]) == ["Domain", "Tone"]


def test_the_model_proposes_values_for_one_label(demo_store: Store) -> None:
    reply = "1. Curling\n2. Fencing - a sport with swords\n3. Cricket\n4. Rowing"
    with FakeOpenAIServer(reply=lambda _: reply, api_key="test-key") as server:
        at = open_app("attributes", NEWS, **openai_settings(server))
        at.radio(key="attributes_propose_kind").set_value("values").run()
        at.selectbox(key="attributes_dim").set_value("subtopic").run()
        at.selectbox(key="attributes_propose_label").set_value("sports").run()
        at.number_input(key="attributes_n").set_value(4).run()
        at.button(key="attributes_propose").click().run()
        [prompt] = asked(server)
    assert 'List 4 diverse values of the attribute "subtopic"' in prompt
    assert 'for news articles whose label is "sports"' in prompt
    at.button(key="attributes_add_proposals").click().run()
    pid = project_id(demo_store, NEWS)
    subtopic = next(d for d in demo_store.list_dimensions(pid) if d.name == "subtopic")
    sports = [v.value for v in subtopic.per_label["sports"]]
    # New values join the label's own; "cricket" was there already.
    assert sports[-4:] == ["esports", "Curling", "Fencing", "Rowing"]
    assert sports.count("cricket") == 1
    assert subtopic.values == []


def test_a_backend_error_is_shown_and_nothing_changes(demo_store: Store) -> None:
    pid = project_id(demo_store, TASKS)
    with FakeOpenAIServer(api_key="right-key") as server:
        at = open_app("attributes", TASKS, **openai_settings(server, "wrong-key-123"))
        at.button(key="attributes_propose").click().run()
    assert "rejected the API key" in at.error[0].value
    assert "wrong-key-123" not in at.error[0].value
    assert demo_store.list_dimensions(pid) == []


def test_an_unusable_reply_is_shown_as_plain_text(demo_store: Store) -> None:
    reply = "<b>I</b> am not able to help with that."
    with FakeOpenAIServer(reply=lambda _: reply, api_key="test-key") as server:
        at = open_app("attributes", TASKS, **openai_settings(server))
        at.button(key="attributes_propose").click().run()
    assert at.warning[0].value.startswith("The reply held no usable proposal")
    assert reply in [t.value for t in at.text]
    assert not [e for e in at.data_editor if (e.key or "").startswith("attributes_proposals_")]


def with_shared_subtopic(store: Store) -> int:
    """The demo news project, with "trade tariffs" listed under business and politics."""
    pid = project_id(store, NEWS)
    dimensions = store.list_dimensions(pid)
    for dimension in dimensions:
        if dimension.name == "subtopic":
            for label in ("business", "politics"):
                dimension.per_label[label].append(AttributeValue(value="trade tariffs"))
    store.replace_dimensions(pid, [d.model_copy(update={"id": None}) for d in dimensions])
    return pid


def similar_reply(messages: list[dict]) -> str:
    prompt = messages[-1]["content"]
    if 'most similar to "business"' in prompt:
        return "1. Politics\n2. science and technology"
    if 'most similar to "politics"' in prompt:
        return "Business, health"
    return "none of them"


def subtopics(store: Store, pid: int, label: str) -> list[str]:
    subtopic = next(d for d in store.list_dimensions(pid) if d.name == "subtopic")
    return [v.value for v in subtopic.per_label[label]]


def test_values_shared_with_a_similar_label_are_flagged_and_removed(demo_store: Store) -> None:
    pid = with_shared_subtopic(demo_store)
    with FakeOpenAIServer(reply=similar_reply, api_key="test-key") as server:
        at = open_app("attributes", NEWS, **openai_settings(server))
        at.button(key="attributes_similar_ask").click().run()
        assert len(server.chat_requests) == 5  # one question per label
    assert at.multiselect(key=f"attributes_similar_{pid}_business").value == [
        "politics",
        "science and technology",
    ]
    assert at.multiselect(key=f"attributes_similar_{pid}_politics").value == ["business", "health"]
    assert at.multiselect(key=f"attributes_similar_{pid}_sports").value == []
    flags = [e for e in at.data_editor if e.key.startswith("attributes_flags_")][0].value
    assert list(zip(flags["label"], flags["value"], flags["reason"], strict=True)) == [
        ("business", "trade tariffs", "also listed for 'politics'"),
        ("politics", "trade tariffs", "also listed for 'business'"),
    ]
    # The user keeps business's copy; politics's goes.
    edit_table(at, "attributes_flags_", {0: {"keep": True}})
    at.button(key="attributes_remove_flags").click().run()
    assert not at.exception, at.exception
    assert "trade tariffs" in subtopics(demo_store, pid, "business")
    assert "trade tariffs" not in subtopics(demo_store, pid, "politics")
    assert at.caption[-1].value == "No value is flagged."


def test_the_model_flags_values_that_fit_a_similar_label(demo_store: Store) -> None:
    pid = project_id(demo_store, NEWS)

    def reply(messages: list[dict]) -> str:
        return "2" if 'meant for "business" only' in messages[-1]["content"] else "none"

    with FakeOpenAIServer(reply=reply, api_key="test-key") as server:
        at = open_app(
            "attributes",
            NEWS,
            **openai_settings(server),
            **{f"attributes_similar_{pid}_business": ["politics"]},
        )
        at.button(key="attributes_ambiguity_ask").click().run()
        [question] = asked(server)
    assert question.startswith(
        'In a dataset of news articles, the label "business" is easily confused with "politics".'
    )
    assert "\n2. mergers and acquisitions\n" in question
    flags = [e for e in at.data_editor if e.key.startswith("attributes_flags_")][0].value
    assert json.loads(flags.to_json(orient="records")) == [
        {
            "dimension": "subtopic",
            "label": "business",
            "value": "mergers and acquisitions",
            "reason": "the model says it fits 'politics'",
            "keep": False,
        }
    ]
    at.button(key="attributes_remove_flags").click().run()
    assert "mergers and acquisitions" not in subtopics(demo_store, pid, "business")


def test_proposals_wait_while_the_tables_have_unsaved_edits(demo_store: Store) -> None:
    pid = project_id(demo_store, TASKS)
    demo_store.replace_dimensions(pid, [AttributeDimension(name="tone")])
    reply = "1. Domain: the field"
    with FakeOpenAIServer(reply=lambda _: reply, api_key="test-key") as server:
        at = open_app("attributes", TASKS, **openai_settings(server))
        at.button(key="attributes_propose").click().run()
    at.session_state[f"attributes_names_{pid}"] = {
        "edited_rows": {0: {"description": "how it sounds"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert at.button(key="attributes_add_proposals").disabled
    assert "Save or undo the table edits above first." in [c.value for c in at.caption]


def test_a_proposal_the_user_cleared_is_not_added(demo_store: Store) -> None:
    pid = project_id(demo_store, NEWS)
    reply = "1. Curling\n2. Rowing"
    with FakeOpenAIServer(reply=lambda _: reply, api_key="test-key") as server:
        at = open_app("attributes", NEWS, **openai_settings(server))
        at.radio(key="attributes_propose_kind").set_value("values").run()
        at.selectbox(key="attributes_dim").set_value("length").run()
        at.button(key="attributes_propose").click().run()
    edit_table(at, "attributes_proposals_", {0: {"value": None}})
    assert at.button(key="attributes_add_proposals").proto.label == "Add 1 to the attributes"
    at.button(key="attributes_add_proposals").click().run()
    length = next(d for d in demo_store.list_dimensions(pid) if d.name == "length")
    assert [v.value for v in length.values][-2:] == ["about 150 words", "Rowing"]


# -- value files (the AttrPrompt repository's layout) ---------------------------------
ATTRPROMPT_LOOSE = [  # as a user picks them from the repository's folders, no zip
    ("style.txt", b"Op-Eds: opinions on current events\nopinion column\n", "text/plain"),
    ("sports.jsonl", b"Rugby league\ncricket\nCycling\n", "application/jsonl"),
    ("business.jsonl", b"Startups and entrepreneurship\n", "application/jsonl"),
    ("label.txt", b"World\nSports\nBusiness\nSci_Tech\n", "text/plain"),
]


def test_value_files_are_previewed_per_label_then_added(demo_store: Store) -> None:
    pid = project_id(demo_store, NEWS)
    at = open_app("attributes", project=NEWS)
    at.file_uploader(key=f"attributes_files_{pid}").set_value(ATTRPROMPT_LOOSE).run()
    assert not at.exception, at.exception
    [preview] = [d.value for d in at.dataframe if "new values" in d.value.columns]
    rows = {
        (row["dimension"], row["label"]): (row["new values"], row["already here"])
        for row in preview.to_dict("records")
    }
    # Per-label files go to the project's per-label dimension; style.txt to "style".
    assert rows == {
        ("style", "(every label)"): (1, 1),
        ("subtopic", "business"): (1, 0),
        ("subtopic", "sports"): (2, 1),
    }
    assert "label.txt: skipped (the dataset's list of labels" in seen(at.warning[0].value)
    before = {d.name: d for d in demo_store.list_dimensions(pid)}
    assert before["subtopic"].per_label["sports"][-1].value != "Cycling"  # nothing yet

    at.button(key="attributes_files_add").click().run()
    after = {d.name: d for d in demo_store.list_dimensions(pid)}
    assert [v.value for v in after["subtopic"].per_label["sports"]][-2:] == [
        "Rugby league",
        "Cycling",
    ]
    assert after["style"].values[-1].value == "Op-Eds: opinions on current events"
    assert len(after["style"].values) == len(before["style"].values) + 1


def test_the_export_page_no_longer_imports_attribute_files(demo_store: Store) -> None:
    at = open_app("export", project=NEWS)
    subheaders = [seen(header.value) for header in at.subheader]
    assert "Data as candidates, into 'News topic classification'" in subheaders
    assert "Attribute values" not in subheaders


def test_similar_labels_are_kept_with_the_project(demo_store: Store) -> None:
    pid = project_id(demo_store, NEWS)
    at = open_app("attributes", NEWS)
    at.multiselect(key=f"attributes_similar_{pid}_business").set_value(["politics"]).run()
    assert not at.exception, at.exception
    assert demo_store.get_project(pid).similar_labels == {"business": ["politics"]}
    again = open_app("attributes", NEWS)  # a new session reads them back
    assert again.multiselect(key=f"attributes_similar_{pid}_business").value == ["politics"]
    again.multiselect(key=f"attributes_similar_{pid}_business").set_value([]).run()
    assert demo_store.get_project(pid).similar_labels == {}
