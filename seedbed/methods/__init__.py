"""Generation methods, pure: each plans chat requests and reads replies (see base.py).

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


# The registry, in the order the UI lists the methods. Imported last: the method
# modules import `user_message` from this package.
from seedbed.methods.attrprompt import AttrPrompt  # noqa: E402
from seedbed.methods.base import Method  # noqa: E402
from seedbed.methods.chataug import ChatAug  # noqa: E402
from seedbed.methods.class_conditional import ClassConditional  # noqa: E402
from seedbed.methods.evol_instruct import EvolInstruct  # noqa: E402
from seedbed.methods.self_instruct import SelfInstruct  # noqa: E402

METHODS: dict[str, Method] = {
    method.name: method
    for method in (SelfInstruct(), AttrPrompt(), ClassConditional(), ChatAug(), EvolInstruct())
}


def get_method(name: str) -> Method:
    """The method registered as `name`; raises ValueError naming the known ones."""
    try:
        return METHODS[name]
    except KeyError:
        known = ", ".join(METHODS)
        raise ValueError(f"Unknown method '{name}'. Known methods: {known}.") from None
