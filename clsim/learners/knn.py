"""kNN (Prabhu et al., 2023): learning without gradients, by remembering every demonstrated step.

Each incoming demonstration's steps go into the agent's memory as (context, expert action); the
agent (``knn``, :class:`~clsim.agents.knn.KNNPolicy`) decides by its nearest remembered steps.
Nothing is trained, so nothing is overwritten: what such a learner forgets comes only from a
bounded memory (the agent's ``memory`` option). Its cost is memory and lookup, reported as the
agent's memory bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..envs.core import Episode
from .base import Learner
from .registry import register


@register
class KNN(Learner):
    name = "knn"
    supports_flop_budget = False  # schedules its own updates
    uses_memory = False
    trains_parameters = False

    def __init__(self, agent: Any, *args: Any, **kwargs: Any) -> None:
        if not callable(getattr(agent, "remember", None)):
            raise ValueError(f"learner 'knn' stores steps in the agent's memory, but agent {type(agent).__name__} has "
                             "none (no remember(observations, actions)); use --agent knn")
        super().__init__(agent, *args, **kwargs)

    def observe(self, episodes: Sequence[Episode]) -> None:
        for episode in episodes:
            self.agent.remember(episode.observations(), [step.action_text for step in episode.steps])
            self.samples_seen += 1

    def flush(self) -> None:
        """Nothing waits: every episode is remembered as it arrives."""

    def buffer_bytes(self) -> int:
        return self.agent.memory_bytes()
