"""Learning from binary feedback as a contextual bandit (Suhr & Artzi, 2023).

Each deployed action a in state s with feedback r in {+1, -1} gives the loss
-c * r * log pi(a | s), with the importance coefficient c = min(1, pi(a | s) / pi_deployed(a | s))
held constant: positive feedback raises the action's probability, negative lowers it, and c
keeps the update near the policy that collected the data. Actions without feedback take the
polarity of the next feedback within 8 actions (`propagate`); those still unlabelled are
skipped. Learning happens in rounds (deploy, then update): every batch is half this round's
data and half rehearsal, itself half the initial demonstrations (c = 1, r = +1) and half
earlier rounds' feedback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..agents.base import score_batch
from ..envs.core import Episode
from ..records import checkpoint_record
from ..streams.feedback import Interaction
from .base import Learner, LearnerConfig
from .registry import register


@checkpoint_record
@dataclass(frozen=True)
class FeedbackStep:
    observation: dict[str, Any]
    action: int
    reward: float  # +1 / -1
    deployed_prob: float | None  # None: a demonstration (c = 1)


def bandit_loss(logits: torch.Tensor, valid: torch.Tensor, steps: Sequence[FeedbackStep]) -> torch.Tensor:
    """mean over steps of -c * r * log pi(a), c = min(1, pi(a) / pi_deployed(a)) without gradient."""
    logp = logits.masked_fill(~valid, float("-inf")).log_softmax(-1)
    chosen = logp.gather(1, torch.tensor([s.action for s in steps]).unsqueeze(1)).squeeze(1)
    deployed = torch.tensor([s.deployed_prob if s.deployed_prob is not None else float("nan") for s in steps])
    ratio = (chosen.detach().exp() / deployed).clamp(max=1.0)
    c = torch.where(torch.isnan(deployed), torch.ones_like(ratio), ratio)
    rewards = torch.tensor([s.reward for s in steps])
    return -(c * rewards * chosen).mean()


def propagate(feedback: dict[int, int], length: int, window: int = 8) -> list[int | None]:
    """Per action: its own feedback, else the polarity of the next feedback within `window` actions, else None."""
    out: list[int | None] = []
    for i in range(length):
        if i in feedback:
            out.append(feedback[i])
            continue
        later = [j for j in range(i + 1, min(length, i + window + 1)) if j in feedback]
        out.append(feedback[later[0]] if later else None)
    return out


def feedback_steps(interaction: Interaction, window: int = 8) -> list[FeedbackStep]:
    labels = propagate(interaction.feedback, len(interaction.actions), window)
    return [FeedbackStep(o, a, float(r), p) for o, a, r, p in
            zip(interaction.observations, interaction.actions, labels, interaction.deployed_probs) if r is not None]


@dataclass
class BanditConfig(LearnerConfig):
    round_epochs: int = 3  # passes over each round's feedback
    step_batch: int = 64  # steps per update, half this round's and half rehearsal
    feedback_window: int = 8  # an unlabelled action takes the next feedback within this many actions
    minimums = {"round_epochs": 1, "step_batch": 1, "feedback_window": 1}


@register
class BanditLearner(Learner):
    """Contextual bandit from realtime binary feedback, rounds of deployment then update, with rehearsal."""

    name = "bandit"
    config_class = BanditConfig
    supports = frozenset({"feedback"})
    uses_memory = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.demonstrations: list[FeedbackStep] = []  # the initial demonstrations, for rehearsal
        self.history: list[FeedbackStep] = []  # earlier rounds' feedback, for rehearsal

    def learn_demonstrations(self, episodes: Sequence[Episode], epochs: int) -> None:
        """Imitate the initial demonstrations for `epochs` passes (``step_batch`` steps per update) before any
        deployment, and keep them for rehearsal."""
        added = [FeedbackStep(o, a, 1.0, None) for e in episodes for o, a in zip(e.observations(), e.actions())]
        self.demonstrations += added
        size = self.config.step_batch
        for _ in range(epochs):
            order = self.rng.sample(added, len(added))
            for start in range(0, len(order), size):
                self.train_on(order[start : start + size])

    def rehearsal(self, count: int) -> list[FeedbackStep]:
        """`count` earlier steps: half demonstrations and half earlier rounds' feedback when both exist.

        Sampling the two apart keeps the demonstrations' share fixed; pooled, they would sink to a
        small fraction of the rehearsal as the agent's own, mostly negative, rounds pile up.
        """
        demonstrated = 0 if not self.demonstrations else count - count // 2 if self.history else count
        return [s for pool, n in ((self.demonstrations, demonstrated), (self.history, count - demonstrated))
                for s in self.rng.sample(pool, min(n, len(pool)))]

    def learn_round(self, interactions: Sequence[Interaction]) -> dict[str, float]:
        """Update on one round's feedback for `round_epochs` epochs; returns what the round contained."""
        current = [s for i in interactions for s in feedback_steps(i, self.config.feedback_window)]
        half = max(1, self.config.step_batch // 2)
        self.agent.train()
        for _ in range(self.config.round_epochs):
            order = self.rng.sample(current, len(current))
            for start in range(0, len(order), half):
                self.train_on(order[start : start + half] + self.rehearsal(half))
        self.history += current
        labelled = sum(len(i.feedback) for i in interactions)
        return {"steps": float(sum(len(i.actions) for i in interactions)), "feedback": float(labelled),
                "trained_steps": float(len(current)), "positive": float(sum(s.reward > 0 for s in current))}

    def train_on(self, steps: Sequence[FeedbackStep]) -> float:
        logits, valid = score_batch(self.agent, [s.observation for s in steps])
        loss = bandit_loss(logits, valid, steps)
        self.optimizer.zero_grad()
        loss.backward()
        self.clip_and_step()
        self.updates += 1
        return loss.item()

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "demonstrations": list(self.demonstrations), "history": list(self.history)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.demonstrations = list(state["demonstrations"])
        self.history = list(state["history"])
