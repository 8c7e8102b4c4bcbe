"""CAMA (Kim et al., 2024): DER++ whose stored logits follow a confidence-aware moving average.

For every action class c, a FIFO queue holds the policy's confidence in the ground truth at the
last N steps whose label had class c, above chance; gamma_c = clip(mean(queue), 0, 1). CL-ALFRED's
policy outputs a softmax over K action classes, so its confidence is that probability and chance 1/K.
clsim's agents output a softmax over each step's candidates, so the confidence is the ground-truth
candidate's probability and chance is 1/(that step's number of candidates).

After each update, every replayed step's stored logits become (1 - gamma_y) * stored + gamma_y *
current, y its ground-truth class: classes the policy has learned well pull their targets towards the
current policy, poorly learned ones keep the old targets. "CAMA w/o DC" replaces gamma by a constant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..envs.core import Episode
from .base import StepBatch
from .derpp import DERConfig, DERPlusPlus
from .memory import MemoryItem
from .registry import register


def action_class(candidate: str) -> str:
    """The class of an action: its verb (``PickupObject apple 1`` -> ``PickupObject``)."""
    return candidate.split(" ", 1)[0]


def confidence_gamma(queue: Sequence[float]) -> float:
    """gamma_c = clip(mean(queue), 0, 1) over confidences above chance; 0 for a class never seen."""
    if not queue:
        return 0.0
    return min(1.0, max(0.0, sum(queue) / len(queue)))


def above_chance(batch: StepBatch) -> torch.Tensor:
    """Per step: the probability of the ground-truth candidate minus chance, 1/(the step's candidates)."""
    probs = batch.logits.detach().softmax(-1).gather(1, batch.targets.unsqueeze(1)).squeeze(1)
    return probs - 1.0 / batch.mask.sum(1)


def moving_average(stored: torch.Tensor, current: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """(1 - gamma) * stored + gamma * current, with one gamma per row (step)."""
    gamma = gamma.unsqueeze(-1)
    return (1.0 - gamma) * stored + gamma * current


def step_classes(episodes: Sequence[Episode]) -> list[str]:
    return [action_class(step.action_text) for e in episodes for step in e.steps]


@dataclass
class CAMAConfig(DERConfig):
    cama_window: int = 5  # N, the length of CAMA's per-class confidence queues
    minimums = {"cama_window": 1}


@register
class CAMA(DERPlusPlus):
    name = "cama"
    config_class = CAMAConfig
    fixed_gamma: float | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queues: dict[str, deque[float]] = {}

    def _record_confidence(self, batch: StepBatch) -> None:
        for cls, p in zip(step_classes(batch.episodes), above_chance(batch).tolist()):
            self.queues.setdefault(cls, deque(maxlen=self.config.cama_window)).append(p)

    def gamma(self, cls: str) -> float:
        if self.fixed_gamma is not None:
            return self.fixed_gamma
        return confidence_gamma(self.queues.get(cls, ()))

    def after_update(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        self._record_confidence(stream)
        if replay is None:
            return
        self._record_confidence(replay)
        current = replay.per_episode(replay.logits.detach())
        for item, logits in zip(items, current):
            gammas = torch.tensor([self.gamma(c) for c in step_classes([item.episode])])
            width = item.logits.shape[1]
            item.logits = moving_average(item.logits, logits[:, :width], gammas)

    def state_dict(self) -> dict:
        return {**super().state_dict(), "queues": {c: list(q) for c, q in self.queues.items()}}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.queues = {c: deque(q, maxlen=self.config.cama_window) for c, q in state["queues"].items()}


@register
class CAMAWithoutDC(CAMA):
    """CAMA without dynamic confidence: a fixed gamma of 0.99."""

    name = "cama-nodc"
    fixed_gamma = 0.99
