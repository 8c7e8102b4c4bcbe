"""Episodic memory with reservoir sampling, optionally keeping per-step logits."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from ..envs.core import Episode
from ..records import checkpoint_record


def episode_nbytes(episode: Episode) -> int:
    """UTF-8 bytes of an episode's text (instruction, observations, candidates): its storage cost."""
    text = [episode.instruction, *(s.observation for s in episode.steps), *(c for s in episode.steps for c in s.candidates)]
    return sum(len(t.encode()) for t in text)


def tensor_nbytes(tensors: Iterable[torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


@checkpoint_record
@dataclass
class MemoryItem:
    """An episode and, for logit-replay learners, its stored per-step logits ``[T, K]``.

    ``priority`` is a learner's ranking score (PerpR: the episode's perplexity).
    """

    episode: Episode
    logits: torch.Tensor | None = None
    priority: float = 0.0

    def nbytes(self) -> int:
        """What keeping this item costs: its episode's text plus its stored logits."""
        logits = 0 if self.logits is None else tensor_nbytes([self.logits])
        return episode_nbytes(self.episode) + logits


class EpisodeMemory:
    """A fixed-capacity buffer filled by reservoir sampling (Vitter's algorithm R), or by priority.

    Every episode seen so far has the same chance, capacity / seen, of being in memory,
    which is what a task-free learner wants when it cannot tell segments apart.
    """

    def __init__(self, capacity: int, rng: random.Random) -> None:
        if capacity < 0:
            raise ValueError(f"memory capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self.rng = rng
        self.items: list[MemoryItem] = []
        self.seen = 0

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: MemoryItem) -> bool:
        """Offer one item; returns whether it was stored."""
        self.seen += 1
        if len(self.items) < self.capacity:
            self.items.append(item)
            return True
        slot = self.rng.randrange(self.seen)
        if slot < self.capacity:
            self.items[slot] = item
            return True
        return False

    def keep_hardest(self, item: MemoryItem) -> bool:
        """Offer one item to a memory ranked by priority: a full memory swaps out its lowest."""
        self.seen += 1
        if len(self.items) < self.capacity:
            self.items.append(item)
            return True
        if not self.items:
            return False
        lowest = min(range(len(self.items)), key=lambda i: self.items[i].priority)
        if item.priority > self.items[lowest].priority:
            self.items[lowest] = item
            return True
        return False

    def sample(self, count: int) -> list[MemoryItem]:
        """Up to `count` distinct items, uniformly."""
        return self.rng.sample(self.items, min(count, len(self.items)))

    def nbytes(self) -> int:
        """Bytes the buffer holds: episode text plus stored logits."""
        return sum(item.nbytes() for item in self.items)

    def state_dict(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "seen": self.seen, "items": list(self.items)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.capacity, self.seen, self.items = state["capacity"], state["seen"], list(state["items"])
