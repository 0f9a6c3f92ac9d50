"""The method contract: what every registered method declares for the UI, the CLI and the engine."""

from __future__ import annotations

import random

import pytest

from seedbed.methods import METHODS
from seedbed.methods.base import Method, MethodContext, MethodOptions, Outcome, Request
from seedbed.models import GenerationParams, Instance, Project, SeedTask
from tests.engine_fakes import TwoStage
from tests.method_driver import make_context


@pytest.mark.parametrize("method", [*METHODS.values(), TwoStage()], ids=lambda m: m.name)
def test_every_method_declares_what_the_generate_page_shows(method: Method) -> None:
    assert method.title.strip() and method.description.strip()
    # The stages are the Options' stages, so each has default sampling to start from.
    assert method.stages == tuple(method.Options.stage_params) and method.stages
    # Each option gets a widget whose help is the field's description.
    undocumented = [n for n, f in method.Options.model_fields.items() if not f.description]
    assert undocumented == []
    # The defaults validate: the page starts from them.
    defaults = method.Options.parse({})
    assert set(defaults.params) == set(method.stages)


def test_a_method_missing_a_declaration_fails_when_defined() -> None:
    with pytest.raises(TypeError, match="Silent does not declare description"):

        class Silent(Method):  # noqa: F841 (defining it is the test)
            name = "silent"
            title = "Silent"
            Options = MethodOptions

            def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
                return []

            def read(
                self, context: MethodContext, request: Request, reply: str, finish_reason=None
            ) -> Outcome:
                return Outcome()


def test_a_method_without_stages_fails_when_defined() -> None:
    with pytest.raises(TypeError, match="Options.stage_params names no stage"):

        class Stageless(Method):  # noqa: F841
            name = "stageless"
            title = "Stageless"
            description = "No stage at all"
            Options = MethodOptions

            def plan(self, context: MethodContext, n: int, rng: random.Random) -> list[Request]:
                return []

            def read(
                self, context: MethodContext, request: Request, reply: str, finish_reason=None
            ) -> Outcome:
                return Outcome()


def test_the_defaults_object_only_to_invalid_options_and_leave_rounds_to_the_job() -> None:
    method, project = TwoStage(), Project(id=1, name="P")
    seeds = [SeedTask(instruction="Tell a story.", instances=[Instance(output="Once.")])]
    context = make_context(project, seeds, options={"params": {"write": {"top_p": 3}}})
    assert method.unavailable(context).startswith("Invalid options. params.write.top_p")
    assert method.unavailable(make_context(project, seeds)) is None
    assert method.max_rounds(context) is None


def test_options_keep_the_stage_defaults_a_user_leaves_out() -> None:
    options = TwoStage.Options.parse({"params": {"ideas": {"max_tokens": 7}}})
    assert options.params["ideas"] == GenerationParams(temperature=0.9, max_tokens=7)
    assert options.params["write"] == GenerationParams(temperature=0.0, max_tokens=40)
