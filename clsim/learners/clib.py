"""CLIB (Koh et al., 2022) as CL-ALFRED runs it: sample-wise importance memory, memory-only training,
adaptive learning rate.

- Memory-only training: each incoming episode enters memory first; every `online_iter` of budget
  buys one update on a batch drawn from memory alone.
- Importance: after every update the loss of every episode in memory is measured; the change of
  the memory's mean loss since the previous measurement (episodes replaced meanwhile left out) is
  credited to the episodes trained on since then, as a moving average (ratio 0.9).
- Class-balanced eviction: a full memory evicts, from the label it holds most of (the newcomer
  counted), the episode of least importance. A newcomer starts at the mean importance of its
  label's episodes (the memory's mean if it is the first of its label). clsim's learners see no
  labels; CLIB alone receives each episode's label (its task type or scene type: the segment it
  belongs to) and uses it only to decide which episode leaves memory, as CLIB uses class labels.
- Adaptive learning rate: windows of `lr_period` updates alternate between a high and a low rate
  (low = high * 0.95); each window's mean loss decrease is recorded (the last `lr_length` per
  rate, after 20 warm-up windows' worth of updates). When both have `lr_length`, a one-sided Welch
  t-test moves both rates down a step if the low rate lowers the loss more (p < 0.05), or up a step
  if the high one does (p > 0.95).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from ..envs.core import Episode
from .base import Learner, StepBatch, episode_losses, imitation_loss
from .memory import MemoryItem
from .registry import register


def _incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b) (continued fraction, modified Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _incomplete_beta(1.0 - x, b, a)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    f, c, d = 1.0, 1.0, 0.0
    for i in range(400):
        m = i // 2
        if i == 0:
            numerator = 1.0
        elif i % 2 == 0:
            numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + numerator * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + numerator / c
        c = c if abs(c) > tiny else tiny
        f *= c * d
        if abs(1.0 - c * d) < 1e-12:
            break
    return front * (f - 1.0)


def welch_greater_p(a: Sequence[float], b: Sequence[float]) -> float:
    """One-sided p-value of Welch's t-test that mean(a) > mean(b) (scipy's ttest_ind(a, b, equal_var=False,
    alternative='greater')); NaN when the samples have no spread to judge by."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1) / len(a)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1) / len(b)
    if var_a + var_b == 0:
        return math.nan
    t = (mean_a - mean_b) / math.sqrt(var_a + var_b)
    df = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    tail = 0.5 * _incomplete_beta(df / (df + t * t), df / 2, 0.5)  # P(T > |t|)
    return tail if t > 0 else 1.0 - tail


@register
class CLIB(Learner):
    """CLIB: memory-only training on a class-balanced importance memory, with an adaptive learning rate."""

    name = "clib"
    supports_flop_budget = False  # schedules its own updates
    uses_labels: ClassVar[bool] = True  # for memory management only (see the module doc)
    importance_ratio: ClassVar[float] = 0.9
    lr_step: ClassVar[float] = 0.95
    lr_period: ClassVar[int] = 10  # updates per high/low window
    lr_length: ClassVar[int] = 10  # windows' decreases kept per rate for the test
    warmup: ClassVar[int] = 20  # updates before decreases are recorded
    significance: ClassVar[float] = 0.05

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels: dict[str, str] = {}  # episode uid -> label, given by the run loop before the episode arrives
        self.slot_labels: list[str] = []  # the label of each memory slot
        self.losses: list[float] = []  # each slot's loss at the last measurement
        self.trained: list[int] = []  # slots trained on since the last measurement, with repeats
        self.replaced: list[int] = []  # slots replaced since the last measurement
        self.replaced_in_window: list[int] = []
        self.high_lr, self.low_lr, self.lr_is_high = self.config.lr, self.lr_step * self.config.lr, True
        self.window_losses: list[float] | None = None  # slot losses at the start of the current window
        self.decreases: dict[str, list[float]] = {"high": [], "low": []}
        self.windows = 0  # updates counted by the lr schedule

    def label(self, uid: str, label: str) -> None:
        """The label of an episode about to arrive (its segment), used only to balance memory."""
        self.labels[uid] = label

    def loss(self, stream: StepBatch, replay: StepBatch | None, items: list[MemoryItem]) -> torch.Tensor:
        return imitation_loss(stream.logits, stream.targets)

    # ----- memory --------------------------------------------------------------------------------
    def admit(self, episode: Episode) -> None:
        """Store a newcomer; a full memory evicts the least important episode of its most frequent label. The
        newcomer starts at the mean importance of its label's other episodes; the first of its label at 0, or,
        replacing another, at the memory's mean (the leaver's included)."""
        label = self.labels.pop(episode.uid, "")
        self.memory.seen += 1
        items = self.memory.items
        if len(items) < self.memory.capacity:
            items.append(MemoryItem(episode))
            self.slot_labels.append(label)
            slot, start = len(items) - 1, 0.0
        else:
            counts = {name: self.slot_labels.count(name) for name in dict.fromkeys(self.slot_labels)}
            counts[label] = counts.get(label, 0) + 1
            crowded = max(counts, key=counts.get)  # ties: the label stored first
            slot = min((i for i, name in enumerate(self.slot_labels) if name == crowded), key=lambda i: items[i].priority)
            start = sum(item.priority for item in items) / len(items)
            items[slot] = MemoryItem(episode)
            self.slot_labels[slot] = label
            self.replaced.append(slot)
            self.replaced_in_window.append(slot)
        same = [items[i].priority for i, name in enumerate(self.slot_labels) if name == label and i != slot]
        items[slot].priority = sum(same) / len(same) if same else start

    # ----- schedule ------------------------------------------------------------------------------
    def observe(self, episodes: Sequence[Episode]) -> None:
        """Per episode: admit it to memory, then spend the whole-number part of the budget on updates."""
        for episode in episodes:
            self.samples_seen += 1
            self.admit(episode)
            self.budget += self.config.online_iter
            updates = int(self.budget)
            if updates:
                self.budget -= updates
                self.agent.train()
                for _ in range(updates):
                    self.update_on(self._draw())
                self.adapt_lr()

    def flush(self) -> None:
        """Nothing waits: every episode is trained on (from memory) as it arrives."""

    def _draw(self) -> list[int]:
        count = min(len(self.memory.items), self.config.batch_size)
        return self.rng.sample(range(len(self.memory.items)), count)

    def update_on(self, slots: list[int]) -> None:
        """One update on the memory slots `slots`, then the importance credit of the whole memory's loss change."""
        items = [self.memory.items[i] for i in slots]
        batch = self.forward([item.episode for item in items])
        loss = self.step(batch, None, items)
        self.updates += 1
        self.loss_curve.append((self.updates, loss))
        self.trained += slots
        self.measure()

    def measure(self) -> None:
        """Every episode's loss now; the change of the mean since the last measurement is credited to the
        episodes trained on since then: importance -= (1 - ratio) * (change - mean importance / their count)."""
        items = self.memory.items
        with torch.no_grad():
            losses = episode_losses(self.forward([item.episode for item in items])).tolist()
        previous, replaced = self.losses, set(self.replaced)
        kept = [i for i in range(min(len(previous), len(losses))) if i not in replaced]
        change = sum(losses[i] - previous[i] for i in kept) / len(kept) if previous and kept else 0.0
        if self.trained:
            mean = sum(items[i].priority for i in self.trained) / len(self.trained)
            difference = change - mean / len(self.trained)
            for i in set(self.trained):
                items[i].priority -= (1.0 - self.importance_ratio) * difference
        self.trained, self.replaced, self.losses = [], [], losses

    def adapt_lr(self) -> None:
        """CL-ALFRED's adaptive learning rate, run after each incoming episode's updates."""
        self.windows += 1
        if self.windows % self.lr_period:
            return
        rate = "high" if self.lr_is_high else "low"
        if self.window_losses is not None and self.windows > self.warmup:
            replaced = set(self.replaced_in_window)
            kept = [i for i in range(min(len(self.window_losses), len(self.losses))) if i not in replaced]
            if kept:
                decrease = sum(self.window_losses[i] - self.losses[i] for i in kept) / len(kept)
                self.decreases[rate] = (self.decreases[rate] + [decrease])[-self.lr_length:]
        self.window_losses = list(self.losses)
        self.lr_is_high = not self.lr_is_high
        self.replaced_in_window = []
        high, low = self.decreases["high"], self.decreases["low"]
        if len(high) == len(low) >= self.lr_length:
            p = welch_greater_p(low, high)
            if p < self.significance:  # the low rate lowers the loss more: step both down
                self.high_lr, self.low_lr = self.low_lr, self.low_lr * self.lr_step
                self.decreases = {"high": [], "low": []}
                self.lr_is_high = not self.lr_is_high
            elif p > 1 - self.significance:  # the high rate does: step both up
                self.high_lr, self.low_lr = self.high_lr / self.lr_step, self.high_lr
                self.decreases = {"high": [], "low": []}
                self.lr_is_high = not self.lr_is_high
        self._set_lr()

    def _set_lr(self) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.high_lr if self.lr_is_high else self.low_lr

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "labels": dict(self.labels), "slot_labels": list(self.slot_labels),
                "losses": list(self.losses), "trained": list(self.trained), "replaced": list(self.replaced),
                "replaced_in_window": list(self.replaced_in_window), "high_lr": self.high_lr, "low_lr": self.low_lr,
                "lr_is_high": self.lr_is_high, "window_losses": self.window_losses,
                "decreases": {k: list(v) for k, v in self.decreases.items()}, "windows": self.windows}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.labels, self.slot_labels = dict(state["labels"]), list(state["slot_labels"])
        self.losses, self.trained, self.replaced = list(state["losses"]), list(state["trained"]), list(state["replaced"])
        self.replaced_in_window = list(state["replaced_in_window"])
        self.high_lr, self.low_lr, self.lr_is_high = state["high_lr"], state["low_lr"], state["lr_is_high"]
        self.window_losses = state["window_losses"]
        self.decreases = {k: list(v) for k, v in state["decreases"].items()}
        self.windows = state["windows"]
        self._set_lr()
