"""A learner plug-in: experience replay with a label-smoothed imitation loss."""

from __future__ import annotations

import torch

from clsim.learners import Learner
from clsim.learners.base import StepBatch
from clsim.learners.memory import MemoryItem


class LabelSmoothingER(Learner):
    """ER whose cross-entropy spreads 10% of each target's mass over the other candidates."""

    name = "er-smooth"
    smoothing = 0.1

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        batches = [stream] if replay is None else [stream, replay]
        logits = torch.cat([b.logits for b in batches])
        mask = torch.cat([b.mask for b in batches])
        targets = torch.cat([b.targets for b in batches])
        log_probs = logits.log_softmax(-1)
        spread = self.smoothing / (mask.sum(-1, keepdim=True) - 1).clamp(min=1)
        weights = torch.where(mask, spread, torch.zeros_like(log_probs))
        weights.scatter_(1, targets[:, None], 1.0 - self.smoothing)
        return -(weights * log_probs.masked_fill(~mask, 0.0)).sum(-1).mean()
