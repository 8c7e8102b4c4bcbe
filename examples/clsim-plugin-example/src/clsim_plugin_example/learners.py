"""A learner plug-in: experience replay with a label-smoothed imitation loss."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from clsim.learners import Learner, LearnerConfig
from clsim.learners.base import StepBatch
from clsim.learners.memory import MemoryItem


@dataclass
class SmoothingConfig(LearnerConfig):
    """The shared learner settings plus this learner's own: ``--learner-option smoothing=0.2``."""

    smoothing: float = 0.1  # share of each target's mass spread over the other candidates

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {self.smoothing}")


class LabelSmoothingER(Learner):
    """ER whose cross-entropy spreads `smoothing` of each target's mass over the other candidates."""

    name = "er-smooth"
    config_class = SmoothingConfig

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        batches = [stream] if replay is None else [stream, replay]
        logits = torch.cat([b.logits for b in batches])
        mask = torch.cat([b.mask for b in batches])
        targets = torch.cat([b.targets for b in batches])
        log_probs = logits.log_softmax(-1)
        smoothing = self.config.smoothing
        spread = smoothing / (mask.sum(-1, keepdim=True) - 1).clamp(min=1)
        weights = torch.where(mask, spread, torch.zeros_like(log_probs))
        weights.scatter_(1, targets[:, None], 1.0 - smoothing)
        return -(weights * log_probs.masked_fill(~mask, 0.0)).sum(-1).mean()
