"""One error family: every error meant for a user is a SeedbedError, and only those are shown."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest
from pydantic import BaseModel, Field

import seedbed
from seedbed.errors import InputError, ReviewConflict, SeedbedError, StoreError, user_input
from tests.conftest import ROOT, parse_python


def _core_modules() -> list[str]:
    found = pkgutil.walk_packages(seedbed.__path__, prefix="seedbed.")
    return [info.name for info in found if info.name != "seedbed.__main__"]


def test_every_error_class_of_the_core_is_a_seedbed_error() -> None:
    classes = set()
    for name in _core_modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Exception) and value.__module__.startswith("seedbed"):
                classes.add(value)
    assert len(classes) >= 9  # the family of seedbed/errors.py
    assert all(issubclass(cls, SeedbedError) for cls in classes), classes


def test_user_input_turns_a_validation_error_into_a_readable_input_error() -> None:
    class Form(BaseModel):
        name: str = Field(min_length=1)
        count: int

    with pytest.raises(InputError) as caught, user_input("New project"):
        Form(name="", count="many")  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("New project: name: ")
    assert "count: Input should be a valid integer" in message


def test_a_review_conflict_is_a_store_error_that_names_who_decided() -> None:
    conflict = ReviewConflict(7, "accepted", "ana", None)
    assert isinstance(conflict, StoreError)
    assert str(conflict) == (
        "Candidate 7 changed after you opened it (now accepted by ana). "
        "Your decision was not saved."
    )


@pytest.mark.parametrize("folder", ["pages", "components", "seedbed/cli"])
def test_the_ui_never_shows_a_bare_value_error_as_the_users_mistake(folder: str) -> None:
    offenders = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(parse_python(path)):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = ast.dump(node.type)
                if "'ValueError'" in names or "'Exception'" in names:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
