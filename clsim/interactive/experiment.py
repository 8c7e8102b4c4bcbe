"""A feedback-learning run: demonstrations first, then rounds of deployment, feedback and update.

The setup's order decides when task types (or scene types) arrive: the first
`initial_segments` are there from the start, with a few demonstrations each; one more
segment joins the deployments every `arrive_every` rounds. After every round the agent is
scored greedily on held-out tasks of every segment that has arrived, so success per round and
forgetting under feedback learning come out of one run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..agents import LMPolicyConfig, make_agent
from ..agents.registry import agent_config
from ..envs import get_family
from ..eval.evaluator import evaluate
from ..eval.plots import plot_stream_curves
from ..eval.rundir import RunDirectory
from ..eval.stream_metrics import stream_metrics
from ..eval.summary import matrix as score_matrix
from ..experiment import deterministic
from ..learners import LearnerConfig, get_learner, settings_of
from ..plugins import construct
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

    def arrived(self, segments: tuple[str, ...], round_: int) -> tuple[str, ...]:
        """Segments deployed in round `round_` (1-based; 0 is the demonstrations)."""
        arrivals = max(0, round_ - 1) // self.arrive_every if self.arrive_every else 0
        return segments[: min(len(segments), self.initial_segments + arrivals)]


def run_feedback(config: FeedbackRunConfig, out: Path,
                 on_round: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    config.validate()
    RunDirectory.check_new(out)
    return deterministic(lambda: _run(config, out, on_round), torch.get_num_threads())


def _run(config: FeedbackRunConfig, out: Path, on_round: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
    started = time.perf_counter()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    family, setup = get_family(config.world), get_setup(config.setup)
    segments = setup.segments(family, config.order)
    suites = {s: {"seen": segment_tasks(family, setup, s, "seen", config.eval_episodes, config.seed)}
              for s in segments}
    agent = make_agent(config.agent, family.vocabulary(), config.policy_config, config.seed, config.agent_options)
    learner = construct(get_learner(config.learner), config.learner, "learner", "cls(agent, config, seed=seed)",
                        agent, config.learner_config, seed=config.seed)
    run = RunDirectory.create(out, {**asdict(config), "segments": list(segments)})

    initial = config.arrived(segments, 0)
    demos = [family.demonstrate(t).episode() for s in initial
             for t in segment_tasks(family, setup, s, "train", config.demonstrations, config.seed + 10_000)]
    learner.learn_demonstrations(demos, config.initial_epochs)
    _record(run, family, agent, suites, segments, config, 0, initial, {"demonstrations": len(demos)}, on_round)

    for round_ in range(1, config.rounds + 1):
        present = config.arrived(segments, round_)
        per = [config.tasks_per_round // len(present) + (i < config.tasks_per_round % len(present))
               for i in range(len(present))]
        tasks = [t for s, n in zip(present, per)
                 for t in segment_tasks(family, setup, s, "train", n, config.seed + 1_000 * round_)]
        if config.online:  # the policy changes after every few deployed episodes, not once per round
            random.Random(f"online/{config.seed}/{round_}").shuffle(tasks)
            size = config.learner_config.stream_batch
            groups = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        else:
            groups = [tasks]
        interactions, stats = [], {}
        for number, group in enumerate(groups):
            deployed = deploy(family, agent, group, config.feedback, max_steps=config.max_steps,
                              seed=config.seed * 1_000 + round_ + 1_000_000 * number)
            for key, value in learner.learn_round(deployed).items():
                stats[key] = stats.get(key, 0.0) + value
            interactions += deployed
        stats.update(deployed_success=float(np.mean([i.success for i in interactions])),
                     cancelled=float(sum(i.cancelled for i in interactions)))
        _record(run, family, agent, suites, segments, config, round_, present, stats, on_round)

    run.save_weights("final", agent.state_dict())
    summary = _summarise(run.records, segments, config)
    summary["cost"] = {"wall_seconds": round(time.perf_counter() - started, 2), "updates": learner.updates}
    plot_feedback(run, summary)
    run.write_summary(summary)
    run.release()
    return summary


def _record(run: RunDirectory, family: Any, agent: Any, suites: dict, segments: tuple[str, ...],
            config: FeedbackRunConfig, round_: int, present: tuple[str, ...], stats: dict[str, float],
            on_round: Callable[[dict[str, Any]], None] | None) -> None:
    scores = evaluate(family, agent, suites, list(present), config.max_steps)
    record = {"round": round_, "segments": list(present), **stats,
              "scores": {s: {"seen": v["seen"]} for s, v in scores.items()}}
    record["success"] = float(np.mean([record["scores"][s]["seen"]["sr"] for s in present]))
    run.append_metrics(record)
    if on_round:
        on_round(record)


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
