"""DER++ (Buzzega et al., 2020): replay labels and the logits recorded when an episode was stored.

Loss = CE(stream) + alpha * CE(memory) + beta * MSE(memory logits, stored logits). Stored
logits are never refreshed, which is what CAMA changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import Learner, LearnerConfig, StepBatch, imitation_loss, logit_distillation, stored_logits
from .memory import MemoryItem
from .registry import register


@dataclass
class DERConfig(LearnerConfig):
    alpha: float = 0.5  # weight of the replayed imitation loss
    beta: float = 0.5  # weight of the logit-distillation loss


@register
class DERPlusPlus(Learner):
    name = "der++"
    config_class = DERConfig
    keeps_logits = True

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        loss = imitation_loss(stream.logits, stream.targets)
        if replay is not None:
            stored = stored_logits(items, replay.logits.shape[1])
            loss = loss + self.config.alpha * imitation_loss(replay.logits, replay.targets)
            loss = loss + self.config.beta * logit_distillation(replay.logits, stored, replay.mask)
        return loss
