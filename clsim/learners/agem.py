"""A-GEM (Chaudhry et al., 2019): never let an update raise the loss on a replayed reference batch.

Each update computes the stream gradient g and the gradient g_ref of the imitation loss on
episodes drawn from memory. If they conflict (g . g_ref < 0), g is projected onto the
half-space where it does not: g - (g . g_ref / g_ref . g_ref) g_ref. The memory is used for
the constraint only, never trained on directly.
"""

from __future__ import annotations

import torch

from .base import Learner, StepBatch, imitation_loss
from .memory import MemoryItem
from .registry import register


def project(gradient: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """A-GEM's projection: unchanged if compatible with `reference`, else its conflict removed."""
    dot = torch.dot(gradient, reference)
    if dot >= 0:
        return gradient
    return gradient - dot / torch.dot(reference, reference).clamp(min=1e-12) * reference


@register
class AGEM(Learner):
    name = "agem"

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        return imitation_loss(stream.logits, stream.targets)

    def step(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> float:
        params = [p for p in self.agent.parameters() if p.requires_grad]
        loss = self.loss(stream, replay, items)
        grads = torch.autograd.grad(loss, params, retain_graph=replay is not None, allow_unused=True)
        gradient = _flat(grads, params)
        if replay is not None:
            reference = _flat(torch.autograd.grad(imitation_loss(replay.logits, replay.targets), params,
                                                  allow_unused=True), params)
            gradient = project(gradient, reference)
        self.optimizer.zero_grad()
        offset = 0
        for p in params:
            p.grad = gradient[offset : offset + p.numel()].view_as(p).clone()
            offset += p.numel()
        self.clip_and_step()
        return float(loss.detach())


def _flat(grads: tuple[torch.Tensor | None, ...], params: list[torch.nn.Parameter]) -> torch.Tensor:
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])
