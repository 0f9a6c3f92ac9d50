"""Projects filled with candidates of every kind, for the export and import tests."""

from __future__ import annotations

from dataclasses import dataclass

from seedbed.files.presets import ensure_demo_projects
from seedbed.models import Candidate, Check, Message, Review, Usage
from seedbed.store.core import Store

INSTRUCTIONS = "General instruction tuning"
NEWS = "News topic classification"


@dataclass
class Filled:
    instruction_id: int
    news_id: int
    ids: dict[str, int]


def project_id(store: Store, name: str) -> int:
    return next(p.id for p in store.list_projects() if p.name == name)


def _instruction(store: Store, pid: int, instruction: str, output: str, **kwargs) -> int:
    seeds = store.list_seed_tasks(pid)
    prompt = [
        Message(
            role="user",
            content="Come up with a series of tasks:\n"
            + "\n".join(f"{n}. {t.instruction}" for n, t in enumerate(seeds[:2], 1)),
        )
    ]
    return store.add_candidate(
        Candidate(
            project_id=pid,
            content={
                "instruction": instruction,
                "input": kwargs.pop("input", ""),
                "output": output,
            },
            method="self_instruct",
            prompt=prompt,
            model="fake-model",
            params={"temperature": 0.7, "top_p": 0.5, "max_tokens": 256, "backend": "fake"},
            usage=Usage(prompt_tokens=120, completion_tokens=30),
            checks=[
                Check(name="novelty", passed=True, score=0.3125, detail="closest: x"),
                Check(name="length", passed=True, score=4.0, detail="4 words"),
            ],
            **kwargs,
        )
    )


def _decide(store: Store, cid: int, decision: str, who: str = "ana", **kwargs) -> None:
    store.record_review(Review(candidate_id=cid, decision=decision, annotator=who, **kwargs))


def fill(store: Store) -> Filled:
    """Both demo projects, with accepted, edited, rejected, pending and duplicate candidates."""
    ensure_demo_projects(store)
    pid, news = project_id(store, INSTRUCTIONS), project_id(store, NEWS)
    ids = {
        "plain": _instruction(store, pid, "Name a planet with rings.", "Saturn"),
        "edited": _instruction(store, pid, "Greet in French.", "Bonjour", input="a friend"),
        "rejected": _instruction(store, pid, "Name a planet with rings.", "Mars"),
        "pending": _instruction(store, pid, "Count to three.", "1, 2, 3"),
        "duplicate": _instruction(store, pid, "  name a PLANET with rings. ", "Uranus"),
        "refused": _instruction(store, pid, "Tell me a joke.", "I'm sorry, I cannot."),
    }
    _decide(store, ids["plain"], "accepted")
    edit = {"instruction": "Greet in French.", "input": "a friend", "output": "Bonjour, ça va ? 😊"}
    _decide(store, ids["edited"], "accepted", who="ben", edited_content=edit)
    _decide(store, ids["rejected"], "rejected", reason="wrong: Mars has no rings")
    _decide(store, ids["duplicate"], "accepted")
    _decide(store, ids["refused"], "rejected", who="ben")
    stories = {
        "business": ["Shares in Kopa Haraka rose 4% in Nairobi.", "A café chain opened 20 shops."],
        "sports": ["Lagos FC won the cup 2-1.", "A relay team broke the record."],
        "health": ["A clinic cut waiting times.", "Nurses in Quito began a vaccine drive."],
        "politics": ["The senate passed the budget."],
    }
    for label, texts in stories.items():
        for n, text in enumerate(texts):
            cid = store.add_candidate(
                Candidate(
                    project_id=news,
                    content={"text": text, "label": label},
                    method="attrprompt",
                    label=label,
                    attributes={"length": "about 30 words", "style": f"style {n}"},
                    prompt=[Message(role="user", content=f"Write one news article about {label}.")],
                    model="fake-model",
                    params={"temperature": 1.0, "backend": "fake"},
                )
            )
            ids[f"{label}{n}"] = cid
            _decide(store, cid, "accepted")
    return Filled(pid, news, ids)
