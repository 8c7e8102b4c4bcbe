"""LwF (Li & Hoiem, 2017) for task-free streams: distil a periodically frozen copy of the policy.

LwF keeps the model of the previous task as a teacher and adds KL(teacher || policy) at
temperature T on the new data. A task-free stream has no task ends, so the teacher is
refreshed every `snapshot_period` samples. No memory: the stream is all it trains on.
Loss = CE(stream) + lwf_weight * T^2 * KL(softmax(teacher / T) || softmax(policy / T)).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from ..agents.base import score_batch
from .base import Learner, LearnerConfig, StepBatch, imitation_loss, kl_distillation
from .memory import MemoryItem, tensor_nbytes
from .registry import register


@dataclass
class LwFConfig(LearnerConfig):
    lwf_weight: float = 1.0  # weight of the distillation term (Li & Hoiem: 1)
    temperature: float = 2.0  # softening of the distillation (Hinton et al.: 2)
    snapshot_period: int = 40  # samples between teacher snapshots: task-free "task ends"
    minimums = {"snapshot_period": 1}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


@register
class LearningWithoutForgetting(Learner):
    name = "lwf"
    config_class = LwFConfig
    uses_memory = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teacher: torch.nn.Module | None = None
        self.snapshot_at = 0  # samples seen when the teacher was taken

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        loss = imitation_loss(stream.logits, stream.targets)
        if self.teacher is None:
            return loss
        with torch.no_grad():
            observations = [o for e in stream.episodes for o in e.observations()]
            teacher, _ = score_batch(self.teacher, observations)
        return loss + self.config.lwf_weight * kl_distillation(stream.logits, teacher, stream.mask,
                                                               self.config.temperature)

    def after_update(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> None:
        if self.samples_seen - self.snapshot_at >= self.config.snapshot_period:
            self.teacher = copy.deepcopy(self.agent).eval()
            self.teacher.requires_grad_(False)
            self.snapshot_at = self.samples_seen

    def buffer_bytes(self) -> int:
        teacher = [] if self.teacher is None else list(self.teacher.parameters())
        return super().buffer_bytes() + tensor_nbytes(teacher)

    def state_dict(self) -> dict[str, Any]:
        teacher = None if self.teacher is None else self.teacher.state_dict()
        return {**super().state_dict(), "teacher": teacher, "snapshot_at": self.snapshot_at}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.snapshot_at = state["snapshot_at"]
        self.teacher = None
        if state["teacher"] is not None:
            self.teacher = copy.deepcopy(self.agent).eval()
            self.teacher.load_state_dict(state["teacher"])
            self.teacher.requires_grad_(False)
