"""A process-wide pool of a suite's game servers (Java processes that take ~0.5-1 s to start and 80-300 MB each).

An env borrows one for the length of an episode and gives it back when the episode ends or the env is closed,
so a rollout of many episodes reuses a few processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ServerPool:
    """Idle servers of one suite, reused by the envs of this Python process; `start` makes a new one."""

    def __init__(self, start: Callable[[], Any]) -> None:
        self._start, self._idle = start, []

    def take(self) -> Any:
        return self._idle.pop() if self._idle else self._start()

    def give(self, server: Any) -> None:
        self._idle.append(server)
