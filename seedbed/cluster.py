"""The Ray cluster a team runs Seedbed on: its address, and this process's connection to it.

One machine needs no cluster: without RAY_ADDRESS (or `--ray ADDRESS`) jobs run
in the app's process and embeddings are computed here. Ray is imported only
inside `connect`, so nothing else pays for it.

Every node runs the same Python environment (the packages of requirements.txt);
Seedbed's own code travels with the connection (Ray's `py_modules`), so the
nodes need no checkout of it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import ModuleType

from seedbed.errors import ClusterError

NAMESPACE = "seedbed"
_PACKAGE = Path(__file__).resolve().parent
_lock = threading.Lock()


def cluster_address(given: str | None = None) -> str | None:
    """The Ray address to use: `given` (e.g. `--ray`), else RAY_ADDRESS; None for none."""
    address = (given or os.environ.get("RAY_ADDRESS") or "").strip()
    return address or None


def connect(address: str) -> ModuleType:
    """This process connected to the cluster at `address` (once); the `ray` module.

    Inside a Ray worker (a job's driver) the connection already exists and is kept.
    Raises ClusterError when no cluster answers at `address`.
    """
    import ray

    with _lock:  # app sessions run on threads; ray.init must happen once
        if ray.is_initialized():
            return ray
        try:
            ray.init(
                address=address,
                namespace=NAMESPACE,
                runtime_env={"py_modules": [str(_PACKAGE)]},
                logging_level="WARNING",
                log_to_driver=False,
            )
        except (ConnectionError, ValueError, RuntimeError) as error:
            raise ClusterError(f"No Ray cluster answers at {address}: {error}") from None
    return ray


def node_name() -> str:
    """A short, stable name for the Ray node this code runs on: host and node id."""
    import socket

    import ray

    return f"{socket.gethostname()}:{ray.get_runtime_context().get_node_id()[:8]}"
