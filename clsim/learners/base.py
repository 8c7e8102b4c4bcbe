"""The Learner base: the online schedule every algorithm shares, and the imitation losses.

Schedule (the i-Blurry/CL-ALFRED recipe): incoming episodes collect in a stream batch of
``stream_batch`` episodes; each incoming episode adds ``online_iter`` updates to the budget;
when the stream batch is full, the learner runs the budgeted updates, each on the stream
batch plus ``batch_size - stream_batch`` episodes replayed from memory, then offers the
stream episodes to memory. The learner never sees segment labels.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from ..agents.base import pad_logits
from ..envs.core import Episode
from .memory import EpisodeMemory, MemoryItem


@dataclass
class LearnerConfig:
    lr: float = 1e-3
    batch_size: int = 8  # episodes per update, stream + memory (CL-ALFRED: 32)
    stream_batch: int = 4  # incoming episodes per stream batch (CL-ALFRED: batch_size / 2)
    online_iter: float = 2.5  # CL-ALFRED: 1; the embedded stream is ~100x shorter than ALFRED's
    memory_size: int = 50  # episodes (CL-ALFRED: 500)
    clip_grad: float = 5.0
    alpha: float = 0.5  # weight of the replayed imitation loss (DER++, CAMA)
    beta: float = 0.5  # weight of the logit-distillation loss (DER++, CAMA)
    cama_window: int = 5  # N, the length of CAMA's per-class confidence queues
    num_classes: int = 13  # K, the world's action classes (household: 12 ALFRED actions + Stop)

    def __post_init__(self) -> None:
        if not 1 <= self.stream_batch <= self.batch_size:
            raise ValueError(f"stream_batch must be in 1..batch_size ({self.batch_size}), got {self.stream_batch}")
        if self.online_iter <= 0:
            raise ValueError(f"online_iter must be > 0, got {self.online_iter}")


@dataclass
class StepBatch:
    """Episodes flattened to steps, with the policy's logits for each step."""

    episodes: list[Episode]
    logits: torch.Tensor  # [N, K], NEG_INF where no candidate
    mask: torch.Tensor  # [N, K]
    targets: torch.Tensor  # [N]
    lengths: list[int]

    def per_episode(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.split(tensor, self.lengths))


def imitation_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over candidates at each expert step, averaged over steps."""
    return nn.functional.cross_entropy(logits, targets)


def logit_distillation(logits: torch.Tensor, stored: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error to stored logits over valid candidates (DER's dark-knowledge term)."""
    diff = (logits - stored).masked_fill(~mask, 0.0)
    return diff.pow(2).sum() / mask.sum().clamp(min=1)


def stored_logits(items: Sequence[MemoryItem], width: int) -> torch.Tensor:
    """The items' stored logits, concatenated over steps and padded to `width` candidates."""
    return torch.cat([nn.functional.pad(item.logits, (0, width - item.logits.shape[1])) for item in items])


class Learner:
    """Base class: subclasses define `loss` and, if they keep logits, `after_update`."""

    name: ClassVar[str] = ""
    supports: ClassVar[frozenset[str]] = frozenset({"demonstrations"})
    uses_memory: ClassVar[bool] = True
    keeps_logits: ClassVar[bool] = False

    def __init__(self, agent: nn.Module, config: LearnerConfig | None = None, seed: int = 0) -> None:
        self.agent = agent
        self.config = config or LearnerConfig()
        self.rng = random.Random(seed)
        self.optimizer = torch.optim.Adam(agent.parameters(), lr=self.config.lr)
        self.memory = EpisodeMemory(self.config.memory_size if self.uses_memory else 0, self.rng)
        self.pending: list[Episode] = []
        self.budget = 0.0
        self.samples_seen = 0
        self.updates = 0

    # ----- public API ----------------------------------------------------------------------
    def observe(self, episodes: Sequence[Episode]) -> None:
        """Learn online from newly arrived episodes (no task or segment labels)."""
        for episode in episodes:
            self.pending.append(episode)
            self.samples_seen += 1
            self.budget += self.config.online_iter
            if len(self.pending) == self.config.stream_batch:
                self._train_pending()

    def flush(self) -> None:
        """Train on a partial stream batch left at the end of the stream."""
        if self.pending:
            self._train_pending()

    def state_dict(self) -> dict[str, Any]:
        return {"agent": self.agent.state_dict(), "optimizer": self.optimizer.state_dict(),
                "memory": self.memory.state_dict(), "rng": self.rng.getstate(), "pending": list(self.pending),
                "budget": self.budget, "samples_seen": self.samples_seen, "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.agent.load_state_dict(state["agent"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.memory.load_state_dict(state["memory"])
        self.rng.setstate(state["rng"])
        self.pending, self.budget = list(state["pending"]), state["budget"]
        self.samples_seen, self.updates = state["samples_seen"], state["updates"]

    # ----- to override ------------------------------------------------------------------------
    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        raise NotImplementedError

    def after_update(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        """Hook run after each optimiser step (CAMA refreshes stored logits here)."""

    # ----- machinery ---------------------------------------------------------------------------
    def forward(self, episodes: list[Episode]) -> StepBatch:
        observations = [o for e in episodes for o in e.observations()]
        logits, mask = pad_logits(self.agent.scores(observations))
        targets = torch.tensor([a for e in episodes for a in e.actions()])
        return StepBatch(episodes, logits, mask, targets, [len(e.steps) for e in episodes])

    def _logits_to_keep(self, stream: StepBatch) -> list[torch.Tensor | None]:
        """Each stream episode's logits from its last update, trimmed to its candidates."""
        if not self.keeps_logits:
            return [None] * len(stream.episodes)
        rows = zip(stream.per_episode(stream.logits.detach()), stream.per_episode(stream.mask))
        return [logits[:, : int(mask.sum(1).max())].clone() for logits, mask in rows]

    def _train_pending(self) -> None:
        """Spend the whole-number part of the budget on updates, then offer the batch to memory."""
        updates = int(self.budget)
        self.budget -= updates
        self.agent.train()
        stream = None
        for _ in range(updates):
            items = self.memory.sample(self.config.batch_size - len(self.pending)) if self.uses_memory else []
            episodes = self.pending + [item.episode for item in items]
            both = self.forward(episodes)
            n = sum(both.lengths[: len(self.pending)])
            stream = StepBatch(self.pending, both.logits[:n], both.mask[:n], both.targets[:n],
                               both.lengths[: len(self.pending)])
            replay = None
            if items:
                replay = StepBatch(episodes[len(self.pending):], both.logits[n:], both.mask[n:],
                                   both.targets[n:], both.lengths[len(self.pending):])
            loss = self.loss(stream, replay, items)
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.agent.parameters(), self.config.clip_grad)
            self.optimizer.step()
            self.updates += 1
            self.after_update(stream, replay, items)
        if self.uses_memory:
            if stream is None and self.keeps_logits:  # no update this batch: record the current policy's logits
                with torch.no_grad():
                    stream = self.forward(self.pending)
            rows = self._logits_to_keep(stream) if stream is not None else [None] * len(self.pending)
            for episode, row in zip(self.pending, rows):
                self.memory.add(MemoryItem(episode, row))
        self.pending = []
