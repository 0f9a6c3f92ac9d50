"""The prompts methods send, rendered from `templates/` in Jinja2's sandbox.

The sandbox is there because a user may edit a template (a recipe carries them):
an edited template must not reach Python internals. Undefined variables raise,
so a template and the code that fills it cannot drift apart silently.
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
    """A one-message chat: the rendered template as the user's turn."""
    # Stripped: a template's trailing newline is noise at the end of a chat message.
    return [Message(role="user", content=render(template_name, **context).strip())]
