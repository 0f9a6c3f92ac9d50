"""The errors a user is shown: `SeedbedError` and the one family that derives from it.

Pages, components and the command line catch `SeedbedError` (or one of its kinds) and
show its message as it is: every message here is written for the user, names what to
change, and never holds an API key. Anything else that escapes is a programming error
and is reported as one, never as if it were the user's mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pydantic import ValidationError


class SeedbedError(Exception):
    """The base of every error whose message is meant for the user."""


class InputError(SeedbedError):
    """Something the user typed or gave (a field, a JSON box, a file) is not valid."""


class StoreError(SeedbedError):
    """A write the store refused: a duplicate name, a missing row, a stale decision."""


class StorageError(StoreError):
    """The database cannot be reached or written (read-only, full, gone, server down)."""


class ReviewConflict(StoreError):
    """A decision on a candidate that changed after the annotator opened it."""

    def __init__(self, candidate_id: int, status: str, by: str | None, at: datetime | None):
        self.candidate_id, self.status, self.by, self.at = candidate_id, status, by, at
        when = f" at {at if at.tzinfo else at.replace(tzinfo=UTC):%H:%M:%S} UTC" if at else ""
        who = f" by {by}" if by else ""
        super().__init__(
            f"Candidate {candidate_id} changed after you opened it (now {status}{who}{when}). "
            "Your decision was not saved."
        )


class AutoDecisionRefused(SeedbedError):
    """The AI judge may not decide alone: its agreement with humans is unmeasured or too low."""


class BackendError(SeedbedError):
    """A failure of the model server the user must act on (key, address, model name)."""


class JobError(SeedbedError):
    """A generation job that cannot start or resume."""


class ClusterError(SeedbedError):
    """The Ray cluster named by RAY_ADDRESS (or --ray) cannot be reached."""


class RecipeError(InputError):
    """A recipe or export bundle that cannot be read or imported."""


class ExportError(SeedbedError):
    """An export that cannot be written as asked."""


class UtilityError(InputError):
    """A real data set for the utility check that cannot be used."""


def describe_validation(error: ValidationError) -> str:
    """Pydantic's errors as one sentence a user can act on: 'field: problem; ...'."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


@contextmanager
def user_input(what: str) -> Iterator[None]:
    """Turn a ValidationError raised inside into an InputError about `what`."""
    try:
        yield
    except ValidationError as error:
        raise InputError(f"{what}: {describe_validation(error)}") from None
