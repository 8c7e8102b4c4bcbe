"""Joint training: the upper bound that breaks the online rules on purpose.

It keeps every episode of the stream and trains nothing while the stream flows; when the stream
ends (``flush``) it trains offline for `joint_epochs` shuffled epochs over all of it, in batches
of `batch_size`. Only its final scores (A_last) are meaningful: eval points before the end see
the untrained policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..envs.core import Episode
from .base import Learner, LearnerConfig, StepBatch, imitation_loss
from .memory import MemoryItem, episode_nbytes
from .registry import register


@dataclass
class JointConfig(LearnerConfig):
    joint_epochs: int = 14  # offline epochs at the stream's end: 14 x 560 / 8 = 980 updates, as online
    minimums = {"joint_epochs": 1}


@register
class Joint(Learner):
    name = "joint"
    supports_flop_budget = False  # schedules its own updates
    config_class = JointConfig
    uses_memory = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episodes: list[Episode] = []
        self.trained_on = 0  # episodes covered by the last offline training

    def observe(self, episodes: Sequence[Episode]) -> None:
        self.episodes.extend(episodes)
        self.samples_seen += len(episodes)

    def flush(self) -> None:
        """Train offline on the whole stream so far (once per new data)."""
        if self.trained_on == len(self.episodes):
            return
        self.agent.train()
        size = self.config.batch_size
        for _ in range(self.config.joint_epochs):
            order = self.rng.sample(self.episodes, len(self.episodes))
            for start in range(0, len(order), size):
                stream, _ = self.forward_split(order[start : start + size], [])
                loss = self.step(stream, None, [])
                self.updates += 1
                self.loss_curve.append((self.updates, loss))
        self.trained_on = len(self.episodes)

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        return imitation_loss(stream.logits, stream.targets)

    def buffer_bytes(self) -> int:
        return sum(episode_nbytes(e) for e in self.episodes)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "episodes": list(self.episodes), "trained_on": self.trained_on}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.episodes, self.trained_on = list(state["episodes"]), state["trained_on"]
