"""In-context learning: no weight is updated; every demonstration is stored, abstracted, in the agent's example
memory, and the agent (``causal-lm``) puts the most similar ones into its prompt at every step (ICAL-style
memory of examples). What it can learn is what its language model makes of those examples; its costs are the
prompt tokens processed and the memory, both reported in the run's cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..envs.core import Episode
from .base import Learner
from .registry import register


@register
class ICL(Learner):
    name = "icl"
    supports_flop_budget = False  # schedules its own updates (none)
    uses_memory = False
    trains_parameters = False

    def __init__(self, agent: Any, *args: Any, **kwargs: Any) -> None:
        if not callable(getattr(agent, "remember_examples", None)):
            raise ValueError(f"learner 'icl' stores demonstrations in the agent's prompt memory, but agent "
                             f"{type(agent).__name__} has none (no remember_examples(episodes)); use --agent "
                             "causal-lm --agent-option model_dir=DIR")
        agent.requires_grad_(False)  # nothing is trained, not even the agent's adapters
        super().__init__(agent, *args, **kwargs)

    def observe(self, episodes: Sequence[Episode]) -> None:
        self.agent.remember_examples(episodes)
        self.samples_seen += len(episodes)

    def flush(self) -> None:
        """Nothing waits: every demonstration is stored as it arrives."""

    def buffer_bytes(self) -> int:
        return self.agent.memory_bytes()
