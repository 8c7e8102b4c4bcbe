"""DER++ that rewrites the past it stored: X-DER's (Boschini et al., 2022) update of stored logits, task-free.

DER++ keeps the logits an episode had when it entered memory, often before the policy had
learned it. X-DER updates the stored logits of the examples of the task just finished with
the policy's current ones, under a constraint that the ground truth stays the top class, so
the targets carry what was learned later without teaching a mistake. A task-free stream has no
task ends, so every `snapshot_period` samples the episodes that entered memory since the previous
rewrite get their stored logits rewritten. The constraint is a shift of the other candidates'
logits (a softmax is invariant to shifts, a scale is not for logits of either sign): where some
other candidate scores within `xder_margin` of the expert's action, all other candidates are
lowered until the expert's action leads by `xder_margin`, keeping their order and spacing.

This is not X-DER, hence its name: X-DER's other parts are defined over per-task class heads, which
candidate scoring over one shared action vocabulary does not have: the transplant of newly learned
classes' logits into older memory items (γ-scaled to keep the ground truth on top), its past and
future constraint losses between heads, and its preparation of future heads (every candidate is
scored from the start here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .base import StepBatch
from .derpp import DERConfig, DERPlusPlus
from .registry import register


def keep_truth_on_top(logits: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor,
                      margin: float) -> torch.Tensor:
    """Shift each row's non-target valid logits down so the target leads them by `margin`."""
    target = logits.gather(1, targets.unsqueeze(1))
    others = valid.clone()
    others.scatter_(1, targets.unsqueeze(1), False)
    best_other = logits.masked_fill(~others, float("-inf")).max(1, keepdim=True).values
    shift = (best_other - target + margin).clamp(min=0.0).nan_to_num(0.0, posinf=0.0, neginf=0.0)
    return torch.where(others, logits - shift, logits)


@dataclass
class RewriteConfig(DERConfig):
    snapshot_period: int = 40  # samples between rewrites of recently stored logits
    xder_margin: float = 1.0  # the lead (in logits) the expert's action keeps in rewritten targets
    minimums = {"snapshot_period": 1}


@register
class DERPlusPlusRewrite(DERPlusPlus):
    """DER++ whose recently stored logits are periodically rewritten by the current policy (X-DER's rewrite)."""

    name = "der++-rewrite"
    config_class = RewriteConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refreshed_at = 0  # samples seen at the last rewrite
        self.fresh: set[str] = set()  # uids of episodes stored since then

    def remember(self, stream: StepBatch | None) -> None:
        before = list(self.memory.items)  # held until compared: a dropped item's id could go to a new one
        known = {id(item) for item in before}
        super().remember(stream)
        self.fresh |= {item.episode.uid for item in self.memory.items if id(item) not in known}
        if self.samples_seen - self.refreshed_at >= self.config.snapshot_period:
            self.rewrite_past()

    def rewrite_past(self) -> None:
        """Rewrite the stored logits of the episodes stored since the last rewrite."""
        items = [item for item in self.memory.items if item.episode.uid in self.fresh]
        if items:
            with torch.no_grad():
                batch = self.forward([item.episode for item in items])
                rewritten = keep_truth_on_top(batch.logits, batch.targets, batch.mask, self.config.xder_margin)
            for item, logits in zip(items, batch.rows_to_store(rewritten)):
                item.logits = logits
        self.fresh = set()
        self.refreshed_at = self.samples_seen

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "refreshed_at": self.refreshed_at, "fresh": sorted(self.fresh)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.refreshed_at, self.fresh = state["refreshed_at"], set(state["fresh"])
