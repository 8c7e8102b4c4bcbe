"""The Learner base: the online schedule every algorithm shares, and the imitation losses.

Schedule (the i-Blurry/CL-ALFRED recipe): incoming episodes collect in a stream batch of
``stream_batch`` episodes; each incoming episode adds ``online_iter`` updates to the budget;
when the stream batch is full, the learner runs the budgeted updates, each on the stream
batch plus ``batch_size - stream_batch`` episodes replayed from memory, then offers the
stream episodes to memory. The learner never sees segment labels.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import torch
from torch import nn

from ..agents.base import NEG_INF, score_batch
from ..envs.core import Episode
from ..options import check_settings
from .flop_budget import FlopBudget, check_budget_support
from .memory import EpisodeMemory, MemoryItem


@dataclass
class LearnerConfig:
    """The settings every learner shares: the online schedule and the optimiser. A learner with settings of its
    own declares a subclass in its file as ``config_class``; ``--learner-option`` is checked against it."""

    lr: float = 1e-3
    batch_size: int = 8  # episodes per update, stream + memory (CL-ALFRED: 32)
    stream_batch: int = 4  # incoming episodes per stream batch (CL-ALFRED: batch_size / 2)
    online_iter: float = 1.75  # CL-ALFRED: 1; each episode is trained on online_iter x stream_batch = 7 times
    memory_size: int = 50  # episodes (CL-ALFRED: 500)
    clip_grad: float = 5.0
    flops_per_sample: float = 0.0  # training FLOPs each sample earns (--budget); 0: no budget
    minimums: ClassVar[Mapping[str, float]] = {}  # a subclass's counts and periods, refused below these

    def __post_init__(self) -> None:
        check_settings(self, self.minimums)
        if not 1 <= self.stream_batch <= self.batch_size:
            raise ValueError(f"stream_batch must be in 1..batch_size ({self.batch_size}), got {self.stream_batch}")
        if self.online_iter <= 0:
            raise ValueError(f"online_iter must be > 0, got {self.online_iter}")
        if self.flops_per_sample < 0:
            raise ValueError(f"flops_per_sample (--budget) must be >= 0, got {self.flops_per_sample}")


SHARED_SETTINGS = frozenset(f.name for f in fields(LearnerConfig))


def settings_class(learner_class: type) -> type[LearnerConfig]:
    """The settings dataclass a learner class declares as ``config_class`` (LearnerConfig if it declares none)."""
    cls = getattr(learner_class, "config_class", LearnerConfig)
    if not (isinstance(cls, type) and issubclass(cls, LearnerConfig)):
        raise TypeError(f"learner {getattr(learner_class, 'name', learner_class.__qualname__)!r} declares config_class "
                        f"{cls!r}, which is not a dataclass deriving from clsim.learners.LearnerConfig")
    return cls


def own_settings(learner_class: type) -> list[str]:
    """The settings a learner class has beyond those every learner shares, in declaration order."""
    return [f.name for f in fields(settings_class(learner_class)) if f.name not in SHARED_SETTINGS]


def learner_settings(learner_class: type, values: Mapping[str, Any]) -> LearnerConfig:
    """`learner_class`'s settings from `values`, taking the names its settings class has and leaving the rest
    (another learner's settings, or those of earlier versions that no learner reads)."""
    cls = settings_class(learner_class)
    return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})


def settings_for(learner_class: type, config: LearnerConfig | None) -> LearnerConfig:
    """`config` as `learner_class`'s own settings: the values it shares with that class kept, the rest at their
    defaults (a plain LearnerConfig gives any learner its shared settings)."""
    if config is None:
        return settings_class(learner_class)()
    if type(config) is settings_class(learner_class):
        return config
    return learner_settings(learner_class, {f.name: getattr(config, f.name) for f in fields(config)})


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

    def rows_to_store(self, logits: torch.Tensor) -> list[torch.Tensor]:
        """Each episode's rows of `logits` ``[N, K]``, trimmed to its own candidates: what memory keeps."""
        rows = zip(self.per_episode(logits.detach()), self.per_episode(self.mask))
        return [part[:, : int(mask.sum(1).max())].clone() for part, mask in rows]


def imitation_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over candidates at each expert step, averaged over steps."""
    return nn.functional.cross_entropy(logits, targets)


def episode_losses(batch: StepBatch) -> torch.Tensor:
    """Each episode's mean per-step cross-entropy of the expert's actions, ``[episodes]``."""
    nll = nn.functional.cross_entropy(batch.logits, batch.targets, reduction="none")
    return torch.stack([part.mean() for part in batch.per_episode(nll)])


def logit_distillation(logits: torch.Tensor, stored: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error to stored logits over valid candidates (DER's dark-knowledge term)."""
    diff = (logits - stored).masked_fill(~mask, 0.0)
    return diff.pow(2).sum() / mask.sum().clamp(min=1)


def kl_distillation(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
                    temperature: float) -> torch.Tensor:
    """KL(softmax(targets / T) || softmax(logits / T)) * T^2 per step, averaged (Hinton et al.)."""
    teacher = (targets / temperature).masked_fill(~mask, NEG_INF).log_softmax(-1)
    student = (logits / temperature).masked_fill(~mask, NEG_INF).log_softmax(-1)
    kl = (teacher.exp() * (teacher - student)).masked_fill(~mask, 0.0).sum(-1)
    return kl.mean() * temperature**2


def stored_logits(items: Sequence[MemoryItem], width: int) -> torch.Tensor:
    """The items' stored logits, concatenated over steps and padded to `width` candidates."""
    return torch.cat([nn.functional.pad(item.logits, (0, width - item.logits.shape[1])) for item in items])


def trainable(agent: Any) -> list[nn.Parameter]:
    """The agent's parameters that gradients update: none for an agent without ``parameters()`` (a memory-based or
    a random agent)."""
    parameters = getattr(agent, "parameters", None)
    return [p for p in parameters() if p.requires_grad] if callable(parameters) else []


def make_optimizer(agent: Any, lr: float) -> torch.optim.Optimizer | None:
    """Adam over the agent's parameters, or None for an agent with nothing to train (its learner must not step)."""
    parameters = list(agent.parameters()) if callable(getattr(agent, "parameters", None)) else []
    return torch.optim.Adam(parameters, lr=lr) if parameters else None


class Learner:
    """Base class: subclasses define `loss` and, if they keep logits, `after_update`."""

    name: ClassVar[str] = ""
    supports: ClassVar[frozenset[str]] = frozenset({"demonstrations"})
    uses_memory: ClassVar[bool] = True
    uses_labels: ClassVar[bool] = False  # True: the run loop calls label(uid, segment label) before each sample
    keeps_logits: ClassVar[bool] = False
    trains_parameters: ClassVar[bool] = True  # False: learns without gradients (knn), so any agent will do
    supports_flop_budget: ClassVar[bool] = True  # its updates run in _train_pending (--budget can skip them)
    config_class: ClassVar[type[LearnerConfig]] = LearnerConfig  # its settings (--learner-option)

    def __init__(self, agent: nn.Module, config: LearnerConfig | None = None, seed: int = 0) -> None:
        self.agent = agent
        self.config: Any = settings_for(type(self), config)
        self.rng = random.Random(seed)
        self.optimizer = make_optimizer(agent, self.config.lr)
        if self.optimizer is None and self.trains_parameters:
            raise ValueError(f"learner {self.name!r} trains the agent's parameters, but agent {type(agent).__name__} "
                             "has none; use a learner that learns without gradients (knn)")
        self.memory = EpisodeMemory(self.config.memory_size if self.uses_memory else 0, self.rng)
        self.pending: list[Episode] = []
        self.budget = 0.0
        check_budget_support(type(self), self.config.flops_per_sample)
        self.flop_budget = FlopBudget(self.config.flops_per_sample) if self.config.flops_per_sample else None
        self.samples_seen = 0
        self.updates = 0
        self.loss_curve: list[tuple[int, float]] = []  # (update, loss) since the run loop last took them

    # ----- public API ----------------------------------------------------------------------
    def observe(self, episodes: Sequence[Episode]) -> None:
        """Learn online from newly arrived episodes (no task or segment labels)."""
        for episode in episodes:
            self.pending.append(episode)
            self.samples_seen += 1
            self.budget += self.config.online_iter
            if self.flop_budget is not None:
                self.flop_budget.earn()
            if len(self.pending) == self.config.stream_batch:
                self._train_pending()

    def flush(self) -> None:
        """Train on a partial stream batch left at the end of the stream."""
        if self.pending:
            self._train_pending()

    def buffer_bytes(self) -> int:
        """Bytes kept besides the agent and optimiser: the episodic memory, plus any snapshots."""
        return self.memory.nbytes()

    def state_dict(self) -> dict[str, Any]:
        return {"agent": self.agent.state_dict(),
                "optimizer": self.optimizer.state_dict() if self.optimizer is not None else None,
                "memory": self.memory.state_dict(), "rng": self.rng.getstate(), "pending": list(self.pending),
                "budget": self.budget, "samples_seen": self.samples_seen, "updates": self.updates,
                **({"flop_budget": self.flop_budget.state_dict()} if self.flop_budget is not None else {})}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.agent.load_state_dict(state["agent"])
        if self.optimizer is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        self.memory.load_state_dict(state["memory"])
        self.rng.setstate(state["rng"])
        self.pending, self.budget = list(state["pending"]), state["budget"]
        self.samples_seen, self.updates = state["samples_seen"], state["updates"]
        if "flop_budget" in state:
            self.flop_budget = FlopBudget.from_state(state["flop_budget"])

    # ----- to override ------------------------------------------------------------------------
    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        raise NotImplementedError

    def retrieve(self, count: int) -> list[MemoryItem]:
        """Memory items to replay in the next update: uniform here (MIR and PerpR choose)."""
        return self.memory.sample(count)

    def step(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> float:
        """One optimiser step on ``loss`` (A-GEM and EWC++ shape the gradient here); returns the loss."""
        loss = self.loss(stream, replay, items)
        self.optimizer.zero_grad()
        loss.backward()
        self.clip_and_step()
        return float(loss.detach())

    def take_losses(self) -> list[tuple[int, float]]:
        """The (update, loss) pairs since the last call: the run's training curve, one point per update."""
        losses, self.loss_curve = self.loss_curve, []
        return losses

    def after_update(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        """Hook run after each optimiser step (CAMA refreshes stored logits here)."""

    def remember(self, stream: StepBatch | None) -> None:
        """Offer the stream batch to memory, with its last logits if the learner keeps them."""
        if self.keeps_logits and stream is None:  # no update this batch: record the current policy's logits
            with torch.no_grad():
                stream = self.forward(self.pending)
        rows = self._logits_to_keep(stream) if stream is not None else [None] * len(self.pending)
        for episode, row in zip(self.pending, rows):
            self.memory.add(MemoryItem(episode, row))

    # ----- machinery ---------------------------------------------------------------------------
    def clip_and_step(self) -> None:
        nn.utils.clip_grad_norm_(self.agent.parameters(), self.config.clip_grad)
        self.optimizer.step()

    def forward(self, episodes: list[Episode]) -> StepBatch:
        observations = [o for e in episodes for o in e.observations()]
        logits, mask = score_batch(self.agent, observations)
        targets = torch.tensor([a for e in episodes for a in e.actions()])
        return StepBatch(episodes, logits, mask, targets, [len(e.steps) for e in episodes])

    def forward_split(self, stream_episodes: list[Episode], items: list[MemoryItem]
                      ) -> tuple[StepBatch, StepBatch | None]:
        """One forward pass over stream and replayed episodes, split back into the two batches."""
        episodes = list(stream_episodes) + [item.episode for item in items]
        both = self.forward(episodes)
        k = len(stream_episodes)
        n = sum(both.lengths[:k])
        stream = StepBatch(episodes[:k], both.logits[:n], both.mask[:n], both.targets[:n], both.lengths[:k])
        if not items:
            return stream, None
        return stream, StepBatch(episodes[k:], both.logits[n:], both.mask[n:], both.targets[n:], both.lengths[k:])

    def _logits_to_keep(self, stream: StepBatch) -> list[torch.Tensor | None]:
        """Each stream episode's logits from its last update, trimmed to its candidates."""
        if not self.keeps_logits:
            return [None] * len(stream.episodes)
        return stream.rows_to_store(stream.logits)

    def _update(self) -> tuple[StepBatch, float]:
        """One update on the pending stream batch and replayed memory: retrieval (MIR's and PerpR's look-ahead
        included), the gradient step and the after-update hook, all of which a FLOP budget charges."""
        items = self.retrieve(self.config.batch_size - len(self.pending)) if self.uses_memory else []
        stream, replay = self.forward_split(self.pending, items)
        loss = self.step(stream, replay, items)
        self.after_update(stream, replay, items)
        return stream, loss

    def _train_pending(self) -> None:
        """Spend the whole-number part of the budget on updates, then offer the batch to memory."""
        updates = int(self.budget)
        self.budget -= updates
        self.agent.train()
        stream = None
        for _ in range(updates):
            if self.flop_budget is not None and not self.flop_budget.affordable():
                self.flop_budget.skip()
                continue
            stream, loss = self.flop_budget.spend(self._update) if self.flop_budget is not None else self._update()
            self.updates += 1
            self.loss_curve.append((self.updates, loss))
        if self.uses_memory:
            self.remember(stream)
        self.pending = []
