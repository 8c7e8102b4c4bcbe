"""The one run loop. Every stream kind is a `Schedule`: demonstrations and tasks with reward
(`clsim train`, one step per stream sample) and feedback rounds (`clsim feedback`, one step per
round). The loop seeds, builds the agent and learner from the registries, feeds the schedule's
steps, writes an eval record at each eval point and a checkpoint every so many steps, and sums up.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from .agents import make_agent
from .agents.base import Agent
from .agents.registry import agent_spec, load_weights
from .devices import placed
from .envs import get_family
from .envs.core import WorldFamily
from .eval.checkpoints import Checkpoint, load_latest, restore_rng, rng_state, save_checkpoint
from .eval.compute import ComputeMeter
from .eval.cost import learner_cost, peak_rss_mb, reset_peak_rss
from .eval.logs import RunLog
from .eval.rundir import RunDirectory
from .learners import Learner, get_learner
from .learners.base import trainable
from .plugins import construct
from .provenance import provenance

OnStep = Callable[[int], None]
OnEval = Callable[[dict[str, Any]], None]


class Schedule(Protocol):
    """What a run streams to its learner, one step at a time, and when it is scored."""

    segments: tuple[str, ...]

    def __len__(self) -> int: ...

    def start(self, agent: Agent, learner: Any) -> None:
        """Drive `agent` and `learner` from here on."""

    def feed(self, position: int) -> dict[str, Any]:
        """Give the learner step `position` (0-based); returns what that step's eval record carries."""

    def is_eval_point(self, done: int) -> bool: ...

    def record(self, done: int, fed: dict[str, Any]) -> dict[str, Any]:
        """Score the agent after `done` steps: the eval record (one line of metrics.jsonl)."""

    def summarise(self, records: list[dict[str, Any]]) -> dict[str, Any]: ...

    def finish(self, run: RunDirectory, summary: dict[str, Any]) -> None:
        """Complete `summary` (baselines) and draw the run's plots."""


class RunSpec(Protocol):
    """A run's configuration as the loop reads it (RunConfig, FeedbackRunConfig)."""

    world: str
    learner: str
    agent: str
    seed: int
    learner_config: Any
    policy_config: Any
    agent_options: dict[str, Any]

    def to_dict(self) -> dict[str, Any]: ...

    def schedule(self, family: WorldFamily) -> Schedule: ...


@dataclass
class Resume:
    """An unfinished run to continue: its locked directory and the segments it stored (None: it stored none)."""

    run: RunDirectory
    stored_segments: list[str] | None


def deterministic(job: Callable[[], dict[str, Any]], threads: int, device: str = "cpu",
                  dtype: str = "float32") -> dict[str, Any]:
    """`job` with torch's deterministic algorithms on `threads` threads, its tensors on `device` in `dtype`; the
    caller's settings restored after."""
    previous = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    try:
        with placed(device, dtype):
            return job()
    finally:
        torch.use_deterministic_algorithms(previous[0])
        torch.set_num_threads(previous[1])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def execute(spec: RunSpec, out: Path, checkpoint_every: int = 0, resume: Resume | None = None,
            on_step: OnStep | None = None, on_eval: OnEval | None = None, loggers: tuple[str, ...] = ()
            ) -> dict[str, Any]:
    """Run `spec` into the run directory `out` (or continue `resume`) to its end; returns the summary.

    The schedule is built before the agent, so drawing its tasks never shifts the model's initial weights.
    `loggers` adds curve writers to the CSV files (``tensorboard``); they never change a number.
    """
    started = time.perf_counter()
    reset_peak_rss()
    seed_everything(spec.seed)
    family = get_family(spec.world)
    schedule = spec.schedule(family)
    agent = make_agent(spec.agent, family.vocabulary(), spec.policy_config, spec.seed, spec.agent_options)
    learner = construct(get_learner(spec.learner), spec.learner, "learner", "cls(agent, config, seed=seed)",
                        agent, spec.learner_config, seed=spec.seed)
    schedule.start(agent, learner)
    run = resume.run if resume is not None else RunDirectory.create(out, {
        **spec.to_dict(), "agent_spec": agent_spec(agent, spec.agent), "segments": list(schedule.segments),
        "provenance": provenance()})
    meter, log = ComputeMeter(spec.seed, len(schedule)), RunLog(run.path, loggers)
    with run:  # locked until the run ends: one writer per run directory
        if resume is not None:
            _check_segments(out, resume.stored_segments, schedule.segments)
        start, earlier = (0, 0.0) if resume is None else _restore(run, agent, learner, meter)
        log.restore(start)
        if resume is not None:
            log.start_board(run.records)
        if resume is not None:
            started = time.perf_counter()
        _feed_steps(schedule, run, start, checkpoint_every, Tracking(meter, log, learner), on_step, on_eval,
                    lambda done: _checkpoint(run, agent, learner, meter, done, earlier + time.perf_counter() - started))
        seconds = earlier + time.perf_counter() - started
        log.write(run.records)
        run.save_weights("final", agent.state_dict())
        summary = schedule.summarise(run.records)
        summary["cost"] = {**run_cost(agent, learner, len(schedule), seconds), **meter.summary()}
        schedule.finish(run, summary)
        run.write_summary(summary)
        return summary


@dataclass
class Tracking:
    """What the loop records besides eval records: compute (timed and counted) and the training curve."""

    meter: ComputeMeter
    log: RunLog
    learner: Any


def _feed_steps(schedule: Schedule, run: RunDirectory, start: int, checkpoint_every: int, tracking: Tracking,
                on_step: OnStep | None, on_eval: OnEval | None, checkpoint: Callable[[int], None]) -> None:
    """Steps `start`.. to the end: feed, report, score at eval points, checkpoint (never after the last); the
    meter times and counts learning and evaluation apart, the log keeps each update's loss."""
    meter, log = tracking.meter, tracking.log
    for position in range(start, len(schedule)):
        fed = meter.train(position, lambda: schedule.feed(position))  # noqa: B023  (called at once)
        done = position + 1
        log.add(done, tracking.learner)
        if on_step:
            on_step(done)
        if schedule.is_eval_point(done):
            record = meter.evaluate(lambda: schedule.record(done, fed))  # noqa: B023  (called at once)
            run.append_metrics(record)
            log.write(run.records)
            if on_eval:
                on_eval(record)
        if checkpoint_every and done % checkpoint_every == 0 and done < len(schedule):
            log.write(run.records)
            checkpoint(done)


def run_cost(agent: Agent, learner: Any, steps: int, seconds: float) -> dict[str, Any]:
    tokens = getattr(agent, "tokens_processed", None)  # language-model agents count what they read
    return {"wall_seconds": round(seconds, 2), "samples_per_second": round(steps / seconds, 3),
            **learner_cost(learner), "peak_rss_mb": peak_rss_mb(),
            "trainable_parameters": sum(p.numel() for p in trainable(agent)),
            **({"tokens_processed": tokens} if tokens is not None else {})}


def _check_segments(out: Path, stored: list[str] | None, rebuilt: tuple[str, ...]) -> None:
    """Refuse to resume a run whose config no longer rebuilds the segments it learned, in their order."""
    if stored is not None and list(stored) != list(rebuilt):
        raise ValueError(f"{out} learned its segments in the order {', '.join(map(str, stored))}, but its config "
                         f"now gives {', '.join(rebuilt)}, so it cannot be resumed to the same numbers; start it "
                         "again")


def _checkpoint(run: RunDirectory, agent: Agent, learner: Any, meter: ComputeMeter, samples: int,
                elapsed: float) -> None:
    state = {k: v for k, v in learner.state_dict().items() if k != "agent"}  # weights go to safetensors
    save_checkpoint(run.checkpoints, Checkpoint(samples=samples, records=len(run.records), elapsed=elapsed,
                                                weights=agent.state_dict(), learner=state, rng=rng_state(),
                                                compute=meter.state_dict()))


def _restore(run: RunDirectory, agent: Agent, learner: Any, meter: ComputeMeter) -> tuple[int, float]:
    """Load the latest checkpoint into `agent`, `learner` and `meter`; returns (steps done, seconds spent)."""
    checkpoint = load_latest(run.checkpoints)
    if checkpoint is None:  # stopped before the first checkpoint: start over
        run.records = []
        return 0, 0.0
    load_weights(agent, checkpoint.weights, f"{run.checkpoints} (latest checkpoint)")
    learner.load_state_dict({**checkpoint.learner, "agent": checkpoint.weights}
                            if isinstance(learner, Learner) else checkpoint.learner)
    restore_rng(checkpoint.rng)
    meter.load_state_dict(checkpoint.compute)
    run.records = run.records[: checkpoint.records]  # evals after the checkpoint are redone
    return checkpoint.samples, checkpoint.elapsed
