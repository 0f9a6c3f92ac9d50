"""The registry of generation methods, in the order the UI lists them.

What a method is and declares: base.py. Prompt templates: prompts.py.
"""

from __future__ import annotations

from seedbed.methods.attrprompt import AttrPrompt
from seedbed.methods.base import Method
from seedbed.methods.chataug import ChatAug
from seedbed.methods.class_conditional import ClassConditional
from seedbed.methods.conversation import Conversation
from seedbed.methods.evol_instruct import EvolInstruct
from seedbed.methods.self_instruct import SelfInstruct

METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        SelfInstruct(),
        AttrPrompt(),
        ClassConditional(),
        ChatAug(),
        EvolInstruct(),
        Conversation(),
    )
}


def get_method(name: str) -> Method:
    """The method registered as `name`; raises ValueError naming the known ones."""
    try:
        return METHODS[name]
    except KeyError:
        known = ", ".join(METHODS)
        raise ValueError(f"Unknown method '{name}'. Known methods: {known}.") from None
