"""A simulated user who watches the agent act and presses thumbs up or down (Suhr & Artzi, 2023).

The user's judgement comes from the world's expert: an action is good (+1) when it is the
expert's next action or meets a goal condition, bad (-1) when it undoes one or is anything
else. The config makes the user imperfect the ways real users are: they judge only some
actions (`rate`), press the wrong button (`noise`), react late (`delay` actions), and reboot an
episode that keeps going wrong (`cancel_after` negatives in a row; the cancelling action counts
as -1). A late judgement arrives while the agent takes a later action and is recorded against
that one, as a system that cannot read the user's mind would record it (feedback due after the
episode ended is lost); `propagate` is the learner's guess at what it was about.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FeedbackConfig:
    rate: float = 1.0  # probability that an action is judged at all
    noise: float = 0.0  # probability that a judgement is flipped
    delay: int = 0  # actions between an action and the moment its feedback arrives
    cancel_after: int = 0  # consecutive delivered negatives that make the user cancel; 0: never

    def __post_init__(self) -> None:
        for name in ("rate", "noise"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"feedback {name} must be in [0, 1], got {getattr(self, name)}")
        for name in ("delay", "cancel_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"feedback {name} must be >= 0, got {getattr(self, name)}")


def judge(action: str, expert_action: str | None, goal_change: int) -> int:
    """+1 for the expert's action or one that meets a goal condition; -1 otherwise (undoing one included)."""
    if goal_change < 0:
        return -1
    return 1 if action == expert_action or goal_change > 0 else -1


@dataclass
class SimulatedUser:
    """Feedback on one episode at a time: call `watch` after every action, `end` when it is over."""

    config: FeedbackConfig
    rng: random.Random
    pending: list[tuple[int, int, int]] = field(default_factory=list)  # (due step, judged action, value)
    delivered: dict[int, int] = field(default_factory=dict)  # action index it arrived at -> feedback
    streak: int = 0

    def start(self) -> None:
        self.pending, self.delivered, self.streak = [], {}, 0

    def watch(self, index: int, action: str, expert_action: str | None, goal_change: int) -> bool:
        """Judge action `index`; deliver what is due. Returns True if the user cancels the episode."""
        if self.rng.random() < self.config.rate:
            value = judge(action, expert_action, goal_change)
            if self.rng.random() < self.config.noise:
                value = -value
            self.pending.append((index + self.config.delay, index, value))
        due = [p for p in self.pending if p[0] <= index]
        self.pending = [p for p in self.pending if p[0] > index]
        for _, _, value in sorted(due):  # it arrives now: attached to the action being taken
            self.delivered[index] = value
            self.streak = self.streak + 1 if value < 0 else 0
        if self.config.cancel_after and self.streak >= self.config.cancel_after:
            self.delivered[index] = -1
            return True
        return False

    def end(self) -> dict[int, int]:
        """The feedback delivered during the episode (what is still due is lost)."""
        self.pending = []
        return dict(self.delivered)
