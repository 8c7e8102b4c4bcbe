"""Perplexity replay, PerpR (Jeong et al., 2024): keep and replay the episodes the policy finds hardest.

An episode's perplexity under the current policy is exp(-mean_t log pi(a*_t)). The memory keeps
the highest-perplexity episodes (a full memory swaps its easiest episode for a harder newcomer)
and each update replays the hardest ones first. Perplexities follow the policy: replayed
episodes are re-scored by every update's forward pass, and the whole memory once per stream
batch, so an episode that has been learned sinks and makes room for one that is being forgotten.
"""

from __future__ import annotations

import torch

from .base import StepBatch, episode_losses
from .er import ExperienceReplay
from .memory import MemoryItem
from .registry import register


def episode_perplexities(batch: StepBatch) -> list[float]:
    """exp(-mean_t log pi(a*_t)) of each episode of `batch`."""
    return torch.exp(episode_losses(batch).detach()).tolist()


@register
class PerplexityReplay(ExperienceReplay):
    """Perplexity replay (PerpR): memory keeps, and replays first, the episodes of highest perplexity."""

    name = "perpr"

    def retrieve(self, count: int) -> list[MemoryItem]:
        """The `count` highest-perplexity episodes (ties in a seeded random order)."""
        items = self.rng.sample(self.memory.items, len(self.memory.items))
        return sorted(items, key=lambda item: -item.priority)[:count]

    def after_update(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        if replay is not None:
            for item, perplexity in zip(items, episode_perplexities(replay)):
                item.priority = perplexity

    def remember(self, stream: StepBatch | None) -> None:
        """Re-score the memory, then let each newcomer replace the easiest episode if it is harder."""
        with torch.no_grad():
            if self.memory.items:
                batch = self.forward([item.episode for item in self.memory.items])
                for item, perplexity in zip(self.memory.items, episode_perplexities(batch)):
                    item.priority = perplexity
            fresh = self.forward(self.pending)
        for episode, perplexity in zip(self.pending, episode_perplexities(fresh)):
            self.memory.keep_hardest(MemoryItem(episode, priority=perplexity))
