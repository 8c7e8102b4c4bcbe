"""Episodic self-replay, ESR (Jeong et al., 2024): replay episodes with the agent's own logits as targets.

Each episode enters memory with the per-step logits the agent produced on it when it was
learned; replay then distils those targets back (MSE, or KL at temperature T), with no label
loss on memory: the agent rehearses what it itself knew, not the expert's one-hot actions.
Loss = CE(stream) + beta * D(memory logits, stored logits).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import Learner, LearnerConfig, StepBatch, imitation_loss, kl_distillation, logit_distillation, stored_logits
from .memory import MemoryItem
from .registry import register


@dataclass
class ESRConfig(LearnerConfig):
    beta: float = 0.5  # weight of the distillation to stored logits
    distill: str = "mse"  # distance to stored logits: "mse" or "kl" (at `temperature`)
    temperature: float = 2.0  # softening of KL distillation (Hinton et al.: 2)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.distill not in ("mse", "kl"):
            raise ValueError(f"distill must be 'mse' or 'kl', got {self.distill!r}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


@register
class EpisodicSelfReplay(Learner):
    name = "esr"
    config_class = ESRConfig
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
