"""CLIB (Koh et al., 2022): sample-wise importance memory, memory-only training, adaptive learning rate.

- Memory-only training: every incoming episode enters memory first, and each update draws its
  whole batch from memory, so new and old episodes are trained on alike.
- Importance: an episode's importance estimates how much training on it lowers the loss. After
  each update, the mean loss decrease of the updated batch is credited to every episode in it,
  as an exponential moving average (weight `importance_ema`). A newcomer starts at the memory's
  mean importance; when memory is full, the least important episode leaves. The learner knows
  no labels in a task-free stream, so CLIB's per-class balancing of evictions does not apply.
- Adaptive learning rate: updates alternate between windows at `lr_factor` times the base rate
  and at the base rate divided by it; once both windows are full, a Welch t-test on their loss
  decreases (|t| > `significance`) moves the base rate to the better side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from ..envs.core import Episode
from .base import Learner, StepBatch, episode_losses, imitation_loss
from .memory import MemoryItem
from .registry import register


def welch_t(a: Sequence[float], b: Sequence[float]) -> float:
    """Welch's t statistic of mean(a) - mean(b); 0 when either side has no spread to judge by."""
    if len(a) < 2 or len(b) < 2:
        return 0.0
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    spread = math.sqrt(var_a / len(a) + var_b / len(b))
    return (mean_a - mean_b) / spread if spread > 0 else 0.0


@register
class CLIB(Learner):
    """CLIB: memory-only training on an importance-ranked memory, with an adaptive learning rate."""

    name = "clib"
    lr_factor: ClassVar[float] = 1.5
    lr_window: ClassVar[int] = 10  # updates per high/low window
    significance: ClassVar[float] = 2.0  # |t| beyond which a window is better (about p < 0.05)
    importance_ema: ClassVar[float] = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_lr = self.config.lr
        self.decreases: dict[str, list[float]] = {"high": [], "low": []}
        self.phase = "high"
        self._set_lr()

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        return imitation_loss(stream.logits, stream.targets)

    # ----- memory --------------------------------------------------------------------------------
    def admit(self, episode: Episode) -> None:
        """Store a newcomer at the memory's mean importance; a full memory drops its least important."""
        self.memory.seen += 1
        items = self.memory.items
        priority = sum(i.priority for i in items) / len(items) if items else 0.0
        items.append(MemoryItem(episode, priority=priority))
        if len(items) > self.memory.capacity:
            items.pop(min(range(len(items)), key=lambda i: items[i].priority))  # ties: the oldest leaves

    # ----- schedule ------------------------------------------------------------------------------
    def _train_pending(self) -> None:
        for episode in self.pending:
            self.admit(episode)
        self.pending = []
        updates = int(self.budget)
        self.budget -= updates
        self.agent.train()
        for _ in range(updates):
            self.update_on(self.memory.sample(self.config.batch_size))

    def update_on(self, items: list[MemoryItem]) -> float:
        """One update on `items`; credits them its loss decrease and feeds the lr scheduler. Returns the decrease."""
        episodes = [item.episode for item in items]
        batch = self.forward(episodes)
        before = episode_losses(batch).detach().mean()
        self.step(batch, None, items)
        self.updates += 1
        with torch.no_grad():
            after = episode_losses(self.forward(episodes)).mean()
        decrease = float(before - after)
        for item in items:
            item.priority = (1 - self.importance_ema) * item.priority + self.importance_ema * decrease
        self.adapt_lr(decrease)
        return decrease

    def adapt_lr(self, decrease: float) -> None:
        window = self.decreases[self.phase]
        window.append(decrease)
        if len(window) == self.lr_window:
            self.phase = "low" if self.phase == "high" else "high"
        if all(len(w) == self.lr_window for w in self.decreases.values()):
            t = welch_t(self.decreases["high"], self.decreases["low"])
            if t > self.significance:
                self.base_lr *= self.lr_factor
            elif t < -self.significance:
                self.base_lr /= self.lr_factor
            self.decreases = {"high": [], "low": []}
        self._set_lr()

    def _set_lr(self) -> None:
        lr = self.base_lr * (self.lr_factor if self.phase == "high" else 1 / self.lr_factor)
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "base_lr": self.base_lr, "phase": self.phase,
                "decreases": {k: list(v) for k, v in self.decreases.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.base_lr, self.phase = state["base_lr"], state["phase"]
        self.decreases = {k: list(v) for k, v in state["decreases"].items()}
        self._set_lr()
