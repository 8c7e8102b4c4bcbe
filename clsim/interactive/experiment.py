"""A feedback-learning run: demonstrations first, then rounds of deployment, feedback and update.

The setup's order decides when task types (or scene types) arrive: the first
`initial_segments` are there from the start, with a few demonstrations each; one more
segment joins the deployments every `arrive_every` rounds. After every round the agent is
scored greedily on held-out tasks of every segment that has arrived, so success per round and
forgetting under feedback learning come out of one run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..agents import LMPolicyConfig
from ..agents.base import Agent
from ..agents.registry import agent_config
from ..envs import get_family
from ..envs.core import WorldFamily
from ..eval.evaluator import evaluate
from ..eval.plots import plot_stream_curves
from ..eval.rundir import RunDirectory
from ..eval.stream_metrics import stream_metrics
from ..eval.summary import matrix as score_matrix
from ..learners import LearnerConfig, get_learner, settings_of
from ..run import deterministic, execute
from ..streams import get_setup
from ..streams.stream import segment_tasks
from .deploy import deploy
from .user import FeedbackConfig

# What a learner that supports "feedback" provides: imitation of the initial demonstrations (episodes, epochs),
# then one update per round of deployed interactions (returning what the round held, for the metrics).
FEEDBACK_METHODS = ("learn_demonstrations", "learn_round")


@dataclass
class FeedbackRunConfig:
    """Everything that determines a feedback run's numbers; saved as config.json."""

    world: str = "household"
    setup: str = "behavior-il"
    learner: str = "bandit"  # a learner that learns from feedback (``supports`` has "feedback"), or a plug-in
    agent: str = "lm"  # or a plug-in: package.module:Class, or a name in the clsim.agents entry points
    order: int = 1
    seed: int = 0
    initial_segments: int = 3  # segments present from the start (the rest arrive over the rounds)
    arrive_every: int = 0  # rounds between arrivals of the next segment; 0: none arrive
    demonstrations: int = 40  # initial demonstrations per initial segment
    initial_epochs: int = 30  # imitation passes over the demonstrations before deployment
    rounds: int = 8
    tasks_per_round: int = 60  # deployed tasks per round, spread over the arrived segments
    eval_episodes: int = 30  # held-out tasks per arrived segment, scored after every round
    max_steps: int = 60
    online: bool = False  # update after every `stream_batch` deployed episodes instead of once per round
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    learner_config: LearnerConfig = field(default_factory=LearnerConfig)  # the learner's own settings class
    policy_config: LMPolicyConfig = field(default_factory=LMPolicyConfig)
    agent_options: dict[str, Any] = field(default_factory=dict)  # the agent's config fields (--agent-option)

    def __post_init__(self) -> None:
        self.learner_config = settings_of(self.learner, self.learner_config)

    def validate(self) -> None:
        learner = get_learner(self.learner)
        if "feedback" not in learner.supports:
            raise ValueError(f"learner {self.learner!r} learns from {', '.join(sorted(learner.supports))}, not from "
                             "feedback; clsim feedback needs one that does (bandit), clsim train the others")
        missing = [m for m in FEEDBACK_METHODS if not callable(getattr(learner, m, None))]
        if missing:
            raise ValueError(f"learner {self.learner!r} says it learns from feedback but has no {', '.join(missing)}")
        agent_config(self.agent, self.policy_config, self.agent_options)  # checks the agent's name and options
        segments = get_setup(self.setup).segments(get_family(self.world), self.order)
        if len(set(segments)) < len(segments):
            raise ValueError(f"setup {self.setup} order {self.order} has a recurring segment ({', '.join(segments)}); "
                             "in a feedback run segments arrive once and stay: choose a setup without recurrences")
        if not 1 <= self.initial_segments <= len(segments):
            raise ValueError(f"initial_segments must be in 1..{len(segments)}, got {self.initial_segments}")
        for name in ("rounds", "tasks_per_round", "eval_episodes", "max_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("arrive_every", "demonstrations", "initial_epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def schedule(self, family: WorldFamily) -> FeedbackRounds:
        return FeedbackRounds(self, family)

    def arrived(self, segments: tuple[str, ...], round_: int) -> tuple[str, ...]:
        """Segments deployed in round `round_` (1-based; 0 is the demonstrations)."""
        arrivals = max(0, round_ - 1) // self.arrive_every if self.arrive_every else 0
        return segments[: min(len(segments), self.initial_segments + arrivals)]


def run_feedback(config: FeedbackRunConfig, out: Path,
                 on_round: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run `config` into the run directory `out` through the run loop (one step per round); the summary."""
    config.validate()
    RunDirectory.check_new(out)
    return deterministic(lambda: execute(config, out, on_eval=on_round), torch.get_num_threads())


class FeedbackRounds:
    """The schedule of a feedback run: step 0 imitates the initial demonstrations, step r deploys round r's
    tasks with simulated users and updates on their feedback; the agent is scored after every step on the
    held-out tasks of the segments that have arrived."""

    def __init__(self, config: FeedbackRunConfig, family: WorldFamily) -> None:
        self.config, self.family, self.setup = config, family, get_setup(config.setup)
        self.segments = self.setup.segments(family, config.order)
        self.suites = {s: {"seen": segment_tasks(family, self.setup, s, "seen", config.eval_episodes, config.seed)}
                       for s in self.segments}

    def __len__(self) -> int:
        return self.config.rounds + 1

    def start(self, agent: Agent, learner: Any) -> None:
        self.agent, self.learner = agent, learner

    def feed(self, position: int) -> dict[str, Any]:
        return self._round(position) if position else self._demonstrations()

    def _demonstrations(self) -> dict[str, Any]:
        config = self.config
        demos = [self.family.demonstrate(t).episode() for s in config.arrived(self.segments, 0)
                 for t in segment_tasks(self.family, self.setup, s, "train", config.demonstrations, config.seed + 10_000)]
        self.learner.learn_demonstrations(demos, config.initial_epochs)
        return {"demonstrations": len(demos)}

    def _round(self, round_: int) -> dict[str, Any]:
        config, present = self.config, self.config.arrived(self.segments, round_)
        per = [config.tasks_per_round // len(present) + (i < config.tasks_per_round % len(present))
               for i in range(len(present))]
        tasks = [t for s, n in zip(present, per)
                 for t in segment_tasks(self.family, self.setup, s, "train", n, config.seed + 1_000 * round_)]
        groups = [tasks]
        if config.online:  # the policy changes after every few deployed episodes, not once per round
            random.Random(f"online/{config.seed}/{round_}").shuffle(tasks)
            size = config.learner_config.stream_batch
            groups = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        interactions, stats = [], {}
        for number, group in enumerate(groups):
            deployed = deploy(self.family, self.agent, group, config.feedback, max_steps=config.max_steps,
                              seed=config.seed * 1_000 + round_ + 1_000_000 * number)
            for key, value in self.learner.learn_round(deployed).items():
                stats[key] = stats.get(key, 0.0) + value
            interactions += deployed
        return {**stats, "deployed_success": float(np.mean([i.success for i in interactions])),
                "cancelled": float(sum(i.cancelled for i in interactions))}

    def is_eval_point(self, done: int) -> bool:
        return True

    def record(self, done: int, fed: dict[str, Any]) -> dict[str, Any]:
        round_ = done - 1
        present = self.config.arrived(self.segments, round_)
        scores = evaluate(self.family, self.agent, self.suites, list(present), self.config.max_steps)
        record = {"round": round_, "segments": list(present), **fed,
                  "scores": {s: {"seen": v["seen"]} for s, v in scores.items()}}
        record["success"] = float(np.mean([record["scores"][s]["seen"]["sr"] for s in present]))
        return record

    def summarise(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return _summarise(records, self.segments, self.config)

    def finish(self, run: RunDirectory, summary: dict[str, Any]) -> None:
        plot_feedback(run, summary)


def _summarise(records: list[dict[str, Any]], segments: tuple[str, ...], config: FeedbackRunConfig) -> dict[str, Any]:
    """Greedy success on held-out tasks and sampled success while deployed, per round (round 0, the
    demonstrations only, was not deployed); over arrived segments, the stream metrics of the rounds x
    segments matrix."""
    rounds = [r["round"] for r in records]
    matrix = score_matrix(records, segments, "seen", "sr")
    arrived = [j for j in range(len(segments)) if not np.isnan(matrix[:, j]).all()]
    first = [int(np.argmax(~np.isnan(matrix[:, j]))) for j in arrived]
    metrics = stream_metrics(matrix[:, arrived], [r + 1 for r in rounds], first)
    return {"rounds": rounds, "success": [r["success"] for r in records],
            "deployed_success": [r.get("deployed_success") for r in records],  # sampled, on each round's new tasks
            "segments": [segments[j] for j in arrived],
            "final": dict(zip((segments[j] for j in arrived), matrix[-1, arrived].tolist())),
            "metrics": {"a_last": metrics.a_last, "a_avg": metrics.a_avg, "forgetting": metrics.forgetting},
            "feedback": asdict(config.feedback)}


def plot_feedback(run: RunDirectory, summary: dict[str, Any]) -> Path:
    matrix = score_matrix(run.records, tuple(summary["segments"]), "seen", "sr")
    return plot_stream_curves(run.plots / "success_over_rounds.png", matrix, summary["rounds"], summary["segments"],
                              [], "Success per segment after each feedback round", "SR (seen scenes)",
                              xlabel="round (0: demonstrations only)",
                              extra={"deployed (sampled)": [np.nan if v is None else v
                                                            for v in summary["deployed_success"]]})
