"""Self-Instruct bootstrapping (Wang et al., 2023): continue a numbered list of tasks.

Each request shows in-context instructions sampled from the seed tasks and from
machine-generated ones, then asks the model to go on from the next number.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from seedbed.methods import user_message
from seedbed.models import GenerationParams, Message

METHOD = "self_instruct"
NUM_SEED_IN_PROMPT = 6
NUM_MACHINE_IN_PROMPT = 2
# The paper stops each request at task 16; the stop sequence ends the list there.
STOP = ["\n16", "16."]
# The paper's sampling for new instructions.
DEFAULT_PARAMS = GenerationParams(
    temperature=0.7, top_p=0.5, presence_penalty=2.0, max_tokens=256, stop=STOP
)

_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.):-]\s*(.*)$")


def sample_prompt_instructions(
    seed_instructions: Sequence[str],
    machine_instructions: Sequence[str],
    rng: random.Random,
) -> list[str]:
    """Up to 6 seed and 2 machine instructions (fewer when the pool has fewer), shuffled."""
    chosen = rng.sample(
        list(machine_instructions), min(NUM_MACHINE_IN_PROMPT, len(machine_instructions))
    )
    wanted_seeds = NUM_SEED_IN_PROMPT + NUM_MACHINE_IN_PROMPT - len(chosen)
    chosen += rng.sample(list(seed_instructions), min(wanted_seeds, len(seed_instructions)))
    rng.shuffle(chosen)
    return chosen


def build_messages(prompt_instructions: Sequence[str]) -> list[Message]:
    """The request that asks for more tasks after the numbered in-context ones."""
    cleaned = [" ".join(instruction.split()) for instruction in prompt_instructions]
    return user_message("self_instruct_instructions", instructions=cleaned)


def parse(reply: str) -> list[str]:
    """New instructions from a reply, in order, each once.

    A chat model may continue right after the prompt's open number (so the first
    line has no number), renumber from 1, or start with a preamble ending in a
    colon; an unnumbered line after an item continues that item.
    """
    items: list[str] = []
    for line in reply.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        match = _NUMBERED.match(stripped)
        if match:
            if int(match.group(1)) >= 16:
                break
            items.append(match.group(2))
        elif items:
            items[-1] += " " + stripped
        elif not stripped.endswith(":"):
            items.append(stripped)
    cleaned = (" ".join(item.split()) for item in items)
    return list(dict.fromkeys(item for item in cleaned if item))


def build_response_messages(instruction: str, input_text: str = "") -> list[Message]:
    """Ask the model to carry out a task, to fill the output of a new instruction."""
    return user_message("respond", instruction=instruction, input=input_text)
