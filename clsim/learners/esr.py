"""Episodic self-replay, ESR (Jeong et al., 2024): replay episodes with the agent's own logits as targets.

Each episode enters memory with the per-step logits the agent produced on it when it was
learned; replay then distils those targets back (MSE, or KL at temperature T), with no label
loss on memory: the agent rehearses what it itself knew, not the expert's one-hot actions.
Loss = CE(stream) + beta * D(memory logits, stored logits).
"""

from __future__ import annotations

import torch

from .base import Learner, StepBatch, imitation_loss, kl_distillation, logit_distillation, stored_logits
from .memory import MemoryItem
from .registry import register


@register
class EpisodicSelfReplay(Learner):
    name = "esr"
    keeps_logits = True

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        loss = imitation_loss(stream.logits, stream.targets)
        if replay is None:
            return loss
        stored = stored_logits(items, replay.logits.shape[1])
        if self.config.distill == "kl":
            distance = kl_distillation(replay.logits, stored, replay.mask, self.config.temperature)
        else:
            distance = logit_distillation(replay.logits, stored, replay.mask)
        return loss + self.config.beta * distance
