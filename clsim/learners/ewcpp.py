"""EWC++ (Chaudhry et al., 2018): pull the weights towards an anchor, weighted by an online Fisher.

The diagonal Fisher is tracked online as a moving average of squared imitation-loss gradients,
F <- decay * F + (1 - decay) * g^2. A task-free stream has no task ends, so every
`snapshot_period` samples the current weights and Fisher become the anchor (theta*, F*). The
penalty lambda/2 * sum F* (theta - theta*)^2 enters as its gradient, lambda * F* (theta - theta*).
No memory of episodes.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import Learner, StepBatch, imitation_loss
from .memory import MemoryItem, tensor_nbytes
from .registry import register


@register
class EWCPlusPlus(Learner):
    name = "ewc++"
    uses_memory = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fisher = {n: torch.zeros_like(p) for n, p in self.agent.named_parameters() if p.requires_grad}
        self.anchor: dict[str, torch.Tensor] = {}
        self.anchor_fisher: dict[str, torch.Tensor] = {}
        self.snapshot_at = 0

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        return imitation_loss(stream.logits, stream.targets)

    def step(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        self.optimizer.zero_grad()
        self.loss(stream, replay, items).backward()
        decay, strength = self.config.ewc_decay, self.config.ewc_lambda
        with torch.no_grad():
            for name, p in self.agent.named_parameters():
                if p.grad is None or name not in self.fisher:
                    continue
                self.fisher[name].mul_(decay).addcmul_(p.grad, p.grad, value=1.0 - decay)
                if name in self.anchor:
                    p.grad.add_(strength * self.anchor_fisher[name] * (p - self.anchor[name]))
        self.clip_and_step()

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
