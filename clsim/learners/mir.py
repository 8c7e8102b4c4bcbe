"""MIR (Aljundi et al., 2019): replay the memory episodes that the coming update would hurt most.

Before each update, a virtual SGD step on the stream batch is taken; among `mir_candidates`
episodes drawn from memory, those whose imitation loss rises most under it are replayed (the
loss on stream plus replay is ER's). The parameters are restored exactly after the look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import LearnerConfig, episode_losses, imitation_loss
from .er import ExperienceReplay
from .memory import MemoryItem
from .registry import register


@dataclass
class MIRConfig(LearnerConfig):
    mir_candidates: int = 50  # memory episodes scored for interference (Aljundi et al.: 50)
    minimums = {"mir_candidates": 1}


@register
class MaximallyInterferedRetrieval(ExperienceReplay):
    name = "mir"
    config_class = MIRConfig

    def retrieve(self, count: int) -> list[MemoryItem]:
        candidates = self.memory.sample(self.config.mir_candidates)
        if len(candidates) <= count:
            return candidates
        rise = self.interference(candidates)
        order = sorted(range(len(candidates)), key=lambda i: -float(rise[i]))
        return [candidates[i] for i in order[:count]]

    def interference(self, candidates: list[MemoryItem]) -> torch.Tensor:
        """Each candidate's loss after a virtual SGD step (lr) on the stream batch, minus before."""
        params = [p for p in self.agent.parameters() if p.requires_grad]
        stream = self.forward(self.pending)
        grads = torch.autograd.grad(imitation_loss(stream.logits, stream.targets), params, allow_unused=True)
        episodes = [item.episode for item in candidates]
        with torch.no_grad():
            before = episode_losses(self.forward(episodes))
            saved = [p.detach().clone() for p in params]
            for p, g in zip(params, grads):
                if g is not None:
                    p.sub_(self.config.lr * g)
            after = episode_losses(self.forward(episodes))
            for p, original in zip(params, saved):
                p.copy_(original)
        return after - before
