"""Generation methods: each module is a pure pair, build messages and parse the reply.

Templates live in `templates/` and render in Jinja2's sandbox, so a template a
user edits cannot reach Python internals.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from seedbed.models import Message

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(template_name: str, **context: Any) -> str:
    """Render `templates/<template_name>.jinja2` in the sandbox."""
    return _environment().get_template(f"{template_name}.jinja2").render(**context)


def user_message(template_name: str, **context: Any) -> list[Message]:
    # Stripped: a template's trailing newline is noise at the end of a chat message.
    return [Message(role="user", content=render(template_name, **context).strip())]
