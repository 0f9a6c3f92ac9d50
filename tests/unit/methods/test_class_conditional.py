"""The class-conditional baseline: the plain prompt, the same reading as AttrPrompt."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import METHODS, class_conditional
from seedbed.methods.common import LABEL_PHRASES
from seedbed.models import AttributeDimension, AttributeValue, Project, ProjectKind
from tests.method_driver import by_stage, drive, make_context, prompt_of

METHOD = METHODS["class_conditional"]
NEWS = Project(
    id=1,
    name="News",
    kind=ProjectKind.CLASSIFICATION,
    labels=["business", "sports", "health"],
    item_name="news article",
)


def test_prompt_is_exact() -> None:
    [message] = class_conditional.build_messages("news article", 'whose topic is "sports"')
    assert message.content == (
        'Write one news article whose topic is "sports".\n'
        "Reply with the news article only, without a title or any comment."
    )
    [plain] = class_conditional.build_messages("task instruction for an AI assistant", "")
    assert plain.content == (
        "Write one task instruction for an AI assistant.\n"
        "Reply with the task instruction for an AI assistant only, without a title or any comment."
    )


def test_plan_cycles_the_labels_with_attrprompts_sampling() -> None:
    context = make_context(NEWS)
    requests = METHOD.plan(context, 4, random.Random(0))
    assert [r.context for r in requests] == [
        {"label": label, "attributes": {}} for label in ["business", "sports", "health", "business"]
    ]
    assert [r.key for r in requests] == ["item/0", "item/1", "item/2", "item/3"]
    assert requests[0].params == METHODS["attrprompt"].Options().params["item"]
    assert prompt_of(requests[1]) == (
        'Write one news article whose topic is "sports".\n'
        "Reply with the news article only, without a title or any comment."
    )
    chosen = make_context(NEWS, options={"labels": ["health"]})
    assert [r.context["label"] for r in METHOD.plan(chosen, 2, random.Random(0))] == ["health"] * 2


def test_it_needs_no_attributes_and_reads_like_attrprompt() -> None:
    dimensions = [AttributeDimension(name="length", values=[AttributeValue(value="short")])]
    reply = 'Here is the article:\n"Shares rose after the merger."'
    baseline = drive(METHOD, make_context(NEWS), lambda r: reply, n=1)
    attributed = drive(
        METHODS["attrprompt"], make_context(NEWS, dimensions=dimensions), lambda r: reply, n=1
    )
    [(_, plain)] = baseline.drafts
    [(_, rich)] = attributed.drafts
    # The same backend reply makes the same candidate: only the prompt and attributes differ.
    assert (
        plain.content
        == rich.content
        == {"text": "Shares rose after the merger.", "label": "business"}
    )
    assert (plain.attributes, rich.attributes) == ({}, {"length": "short"})
    assert METHOD.unavailable(make_context(NEWS)) is None


def test_instruction_projects_get_answers_too() -> None:
    project = Project(id=2, name="Tasks")
    answers = by_stage(
        item="Suggest three names for a rescue dog.", answer="Biscuit, Juno, Pepper."
    )
    run = drive(METHOD, make_context(project), answers, n=1)
    assert run.stages() == ["item", "answer"]
    assert run.contents() == [
        {
            "instruction": "Suggest three names for a rescue dog.",
            "input": "",
            "output": "Biscuit, Juno, Pepper.",
        }
    ]


def test_empty_reply_and_bad_options_are_explained() -> None:
    context = make_context(NEWS)
    [request] = METHOD.plan(context, 1, random.Random(0))
    assert METHOD.read(context, request, "").error == "The reply was empty."
    bad = make_context(NEWS, options={"labels": ["weather"]})
    assert METHOD.unavailable(bad).startswith("Unknown label(s): weather.")
    wrong = make_context(NEWS, options={"params": {"item": {"top_p": 0}}})
    assert "params.item.top_p: Input should be greater than 0" in METHOD.unavailable(wrong)


@pytest.mark.parametrize("method", ["class_conditional", "attrprompt"])
def test_a_sentiment_project_asks_for_a_sentiment_not_a_topic(method: str) -> None:
    reviews = Project(
        id=5,
        name="Reviews",
        kind=ProjectKind.CLASSIFICATION,
        labels=["negative", "positive"],
        item_name="product review",
        label_phrase=LABEL_PHRASES["sentiment"],
    )
    dimensions = [AttributeDimension(name="tone", values=[AttributeValue(value="dry")])]
    context = make_context(reviews, dimensions=dimensions)
    [first, second] = METHODS[method].plan(context, 2, random.Random(0))
    texts = {first.messages[0].content.split("\n")[0], second.messages[0].content.split("\n")[0]}
    assert {text.split(".")[0] for text in texts} == {
        'Write one product review whose sentiment is "negative"',
        'Write one product review whose sentiment is "positive"',
    }


def test_a_label_phrase_must_name_the_label() -> None:
    with pytest.raises(ValueError, match="must contain"):
        Project(name="x", label_phrase="about sentiment")
    assert LABEL_PHRASES == {
        "topic": 'whose topic is "{label}"',
        "sentiment": 'whose sentiment is "{label}"',
        "intent": 'whose intent is "{label}"',
    }
