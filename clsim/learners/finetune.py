"""Fine-tuning: imitation on the stream alone, no memory. The lower bound for forgetting."""

from __future__ import annotations

import torch

from .base import Learner, StepBatch, imitation_loss
from .memory import MemoryItem
from .registry import register


@register
class Finetune(Learner):
    name = "finetune"
    uses_memory = False

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        return imitation_loss(stream.logits, stream.targets)
