"""A job's senders on a Ray cluster: one actor per node, each with its own backends.

Each `SenderActor` opens the job's backends on its node, with that node's
OPENAI_API_KEY (never one from the app or the database), and answers at most
`settings.concurrency` requests at once. The driver (seedbed/jobs/ray_runner.py)
sees them as ordinary Senders (seedbed/jobs/senders.py), so the engine reads,
checks and stores every reply in one place exactly as for an in-process run.

A killed actor is restarted by Ray, which sends its unanswered requests again
(max_task_retries); an actor that cannot come back (its node left) is dropped
and the others take its requests. Either way a request is stored once: the
engine stores a reply only while its request is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from seedbed.cluster import node_name
from seedbed.errors import BackendError
from seedbed.jobs.senders import OpenSenders, Sender, open_sender
from seedbed.jobs.state import JobSettings
from seedbed.llm import BackendConfig, ChatResult, make_backend
from seedbed.llm.base import TextCallback
from seedbed.models import GenerationParams, Message

# The driver's copies of the backends only name the model (prices, candidate records);
# requests go out from the actors, each with its own node's key.
_NAMING_ONLY_KEY = "unused-the-nodes-send-with-their-own-key"


class SenderActor:
    """Sends one job's requests from one node (made a Ray actor by `open_on_cluster`)."""

    def __init__(self, configs: dict[str, dict[str, Any]], concurrency: int) -> None:
        self.configs, self.concurrency = configs, concurrency
        self.node = node_name()
        self.senders: dict[str, Sender] = {}
        self.problem: str | None = None
        self.stack = contextlib.AsyncExitStack()
        self.opening: asyncio.Lock | None = None

    async def send(
        self, key: str, messages: Sequence[Message], params: GenerationParams
    ) -> ChatResult:
        """The reply to one request, marked with this node; BackendError if none can succeed."""
        await self._open()
        if self.problem is not None:
            raise BackendError(f"Node {self.node}: {self.problem}")
        result = await self.senders[key].send(messages, params)
        result.node = self.node
        return result

    async def _open(self) -> None:
        """Open the backends once, on the actor's own event loop (their clients live there)."""
        self.opening = self.opening or asyncio.Lock()
        async with self.opening:
            if self.senders or self.problem is not None:
                return
            try:
                for key, config in self.configs.items():
                    backend = make_backend(BackendConfig(**config), None)  # this node's key
                    self.senders[key] = await open_sender(self.stack, backend, self.concurrency)
            except BackendError as error:
                self.problem = str(error)


class _Pool:
    """The driver's view of the actors: each request goes to the least busy one."""

    def __init__(self, actors: list[Any]) -> None:
        self.actors = actors
        self.busy = [0] * len(actors)
        self.gone: set[int] = set()

    async def send(
        self,
        key: str,
        messages: Sequence[Message],
        params: GenerationParams,
        on_text: TextCallback | None = None,
    ) -> ChatResult:
        """The reply from the least busy node; `on_text` gets it whole (nodes do not stream)."""
        result = await self._send(key, messages, params)
        if on_text is not None and result.text:
            on_text(result.text)
        return result

    async def _send(
        self, key: str, messages: Sequence[Message], params: GenerationParams
    ) -> ChatResult:
        from ray.exceptions import RayActorError

        while len(self.gone) < len(self.actors):
            index = min(
                (i for i in range(len(self.actors)) if i not in self.gone),
                key=lambda i: self.busy[i],
            )
            self.busy[index] += 1
            try:
                return await self.actors[index].send.remote(key, list(messages), params)
            except RayActorError:  # gone for good (Ray restarts a merely killed one)
                self.gone.add(index)
            finally:
                self.busy[index] -= 1
        raise BackendError("No sender is left on the Ray cluster: every node's actor died.")


def ray_senders(job_id: int) -> OpenSenders:
    """Senders for job `job_id`: an actor on every live node of the connected cluster."""

    async def open_on_cluster(
        stack: contextlib.AsyncExitStack, settings: JobSettings, stages: Iterable[str]
    ) -> tuple[dict[str, Sender], int]:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        stages = ("", *stages)
        configs = {settings.backend_for(s).model_dump_json(): s for s in stages}
        payload = {
            key: settings.backend_for(s).model_dump(mode="json") for key, s in configs.items()
        }
        nodes = [node["NodeID"] for node in ray.nodes() if node["Alive"]]
        remote = ray.remote(SenderActor)
        actors = [
            remote.options(
                name=f"seedbed-job-{job_id}-sender-{index}",
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
                num_cpus=0,  # it waits on the network; leave the CPUs to embeddings
                max_concurrency=settings.concurrency,
                max_restarts=-1,
                max_task_retries=-1,
            ).remote(payload, settings.concurrency)
            for index, node in enumerate(nodes)
        ]
        stack.callback(lambda: [ray.kill(actor) for actor in actors])
        pool = _Pool(actors)
        senders: dict[str, Sender] = {}
        for key, stage in configs.items():
            backend = make_backend(settings.backend_for(stage), _NAMING_ONLY_KEY)
            senders[key] = Sender(backend, functools.partial(pool.send, key))
        by_stage = {s: senders[settings.backend_for(s).model_dump_json()] for s in stages}
        return by_stage, settings.concurrency * len(actors)

    return open_on_cluster
