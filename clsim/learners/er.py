"""Experience replay (ER): reservoir memory; each update trains on stream plus replayed episodes."""

from __future__ import annotations

import torch

from .base import Learner, StepBatch, imitation_loss
from .memory import MemoryItem
from .registry import register


@register
class ExperienceReplay(Learner):
    name = "er"

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        if replay is None:
            return imitation_loss(stream.logits, stream.targets)
        return imitation_loss(torch.cat([stream.logits, replay.logits]), torch.cat([stream.targets, replay.targets]))
