"""A process-wide pool of a suite's game servers (Java processes that take ~0.5-1 s to start and 80-500 MB each).

An env borrows one for the length of an episode and gives it back when the episode ends or the env is closed,
so a rollout of many episodes reuses a few processes. Each server's Java heap is bounded: the JVM's default
ceiling is a quarter of the machine's memory, and a ScienceWorld server that had loaded a few hundred tasks held
4.6 GB until the kernel killed it (8 of them play at once in a rollout)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

JAVA_HEAP = "1g"  # a server's heap ceiling; ScienceWorld's longest tasks (biology-4, ~145 steps) run in 512 MB


class ServerPool:
    """Idle servers of one suite, reused by the envs of this Python process; `start` makes a new one."""

    def __init__(self, start: Callable[[], Any]) -> None:
        self._start, self._idle = start, []

    def take(self) -> Any:
        if self._idle:
            return self._idle.pop()
        with bounded_java_heap():
            return self._start()

    def give(self, server: Any) -> None:
        self._idle.append(server)


@contextmanager
def bounded_java_heap(limit: str = JAVA_HEAP) -> Iterator[None]:
    """JVMs started inside get at most `limit` of heap (through JAVA_TOOL_OPTIONS, which every JVM reads), unless
    the user's own JAVA_TOOL_OPTIONS already sets one."""
    before = os.environ.get("JAVA_TOOL_OPTIONS")
    if before is not None and "-Xmx" in before:
        yield
        return
    os.environ["JAVA_TOOL_OPTIONS"] = f"{before} -Xmx{limit}" if before else f"-Xmx{limit}"
    try:
        yield
    finally:
        if before is None:
            del os.environ["JAVA_TOOL_OPTIONS"]
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = before
