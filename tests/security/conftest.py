"""Browser fixtures shared with tests/e2e."""

from tests.e2e.conftest import browser, page, server  # noqa: F401  (fixtures)
