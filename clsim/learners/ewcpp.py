"""EWC++ (Chaudhry et al., 2018) as CL-ALFRED runs it: experience replay plus a pull towards an anchor,
weighted by an online Fisher.

The diagonal Fisher is tracked after every update as a moving average of squared gradients of the
(replayed) imitation loss, F <- decay * F + (1 - decay) * g^2, starting from g^2 (CL-ALFRED: decay 0.5).
The penalty lambda * sum F* (theta - theta*)^2 (CL-ALFRED: lambda = 100) enters as its gradient,
2 lambda F* (theta - theta*). CL-ALFRED takes the anchor (theta*, F*) at each task end; a task-free stream
has none, so every `snapshot_period` samples the current weights and Fisher become the anchor. CL-ALFRED
leaves its last layer out of the penalty; clsim's agents have no single last layer, so every trainable
weight is pulled. ``ewc++-noreplay`` is the same without the episodic memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .base import LearnerConfig, StepBatch
from .er import ExperienceReplay
from .memory import MemoryItem, tensor_nbytes
from .registry import register


@dataclass
class EWCConfig(LearnerConfig):
    ewc_lambda: float = 100.0  # strength (CL-ALFRED's reg_coef): penalty lambda * sum F* (theta - theta*)^2
    ewc_decay: float = 0.5  # Fisher moving average, F <- decay * F + (1 - decay) * g^2 (CL-ALFRED: 0.5)
    snapshot_period: int = 40  # samples between anchor snapshots: task-free "task ends"
    minimums = {"snapshot_period": 1}

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.ewc_decay < 1.0:
            raise ValueError(f"ewc_decay must be in [0, 1), got {self.ewc_decay}")


@register
class EWCPlusPlus(ExperienceReplay):
    name = "ewc++"
    config_class = EWCConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fisher = {n: torch.zeros_like(p) for n, p in self.agent.named_parameters() if p.requires_grad}
        self.anchor: dict[str, torch.Tensor] = {}
        self.anchor_fisher: dict[str, torch.Tensor] = {}
        self.snapshot_at = 0

    def step(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> float:
        self.optimizer.zero_grad()
        loss = self.loss(stream, replay, items)
        loss.backward()
        decay, strength = self.config.ewc_decay, self.config.ewc_lambda
        with torch.no_grad():
            for name, p in self.agent.named_parameters():
                if p.grad is None or name not in self.fisher:
                    continue
                fisher = self.fisher[name]
                if not fisher.any():  # the first update: F starts at g^2
                    fisher.copy_(p.grad * p.grad)
                else:
                    fisher.mul_(decay).addcmul_(p.grad, p.grad, value=1.0 - decay)
                if name in self.anchor:
                    p.grad.add_(2.0 * strength * self.anchor_fisher[name] * (p - self.anchor[name]))
        self.clip_and_step()
        return float(loss.detach())

    def after_update(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        if self.samples_seen - self.snapshot_at >= self.config.snapshot_period:
            params = dict(self.agent.named_parameters())
            self.anchor = {n: params[n].detach().clone() for n in self.fisher}
            self.anchor_fisher = {n: f.clone() for n, f in self.fisher.items()}
            self.snapshot_at = self.samples_seen

    def buffer_bytes(self) -> int:
        tensors = [*self.fisher.values(), *self.anchor.values(), *self.anchor_fisher.values()]
        return super().buffer_bytes() + tensor_nbytes(tensors)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "fisher": self.fisher, "anchor": self.anchor,
                "anchor_fisher": self.anchor_fisher, "snapshot_at": self.snapshot_at}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.fisher, self.anchor = state["fisher"], state["anchor"]
        self.anchor_fisher, self.snapshot_at = state["anchor_fisher"], state["snapshot_at"]


@register
class EWCPlusPlusWithoutReplay(EWCPlusPlus):
    """EWC++ alone: the anchor's pull, no episodic memory."""

    name = "ewc++-noreplay"
    uses_memory = False
