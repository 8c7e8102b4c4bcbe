"""What a run computes, learning and evaluation apart: wall time of each, and FLOPs by torch's FLOP counter on a
fixed sample, extrapolated.

Counting every operation would slow a run by ~2.5x, so the meter counts a sample: a fixed number of the run's
steps, one in `TRAIN_SAMPLE` but at least `MIN_COUNTED_STEPS`, chosen as those whose (seed, position) hash lowest
(whatever the learner does at such a step: forward, backward and optimiser passes), and every `EVAL_SAMPLE`-th eval
point (the first included). The sample's size is fixed because a learner updates only when its stream batch is
full: most steps cost nothing, and a sample of one or two steps (as 1-in-64 odds gave a 72-step run) estimated 0
FLOPs for a run of 126 updates. Training FLOPs = mean FLOPs of a counted step x steps; evaluation FLOPs = FLOPs
per counted episode x episodes evaluated. The sample depends only on the run's seed and length, so a resumed run
counts the same steps; counting changes no number of the run (the same operations run in the same order).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from torch.utils.flop_counter import FlopCounterMode

T = TypeVar("T")
TRAIN_SAMPLE = 64  # one step in this many is counted (9 of the default run's 560)
MIN_COUNTED_STEPS = 8  # and never fewer steps than this (all of a shorter run's)
EVAL_SAMPLE = 10  # one eval point in this many is counted (the 1st and 11th of the default run's 19: the first
# alone scores one segment's episodes, which cost less than the average)
METHOD = ("torch.utils.flop_counter on {counted} of {steps} steps (those whose hash of seed and position is lowest; "
          f"mean x steps) and 1 in {EVAL_SAMPLE} eval points, the first included (per episode x episodes)")


def _counted(job: Callable[[], T]) -> tuple[T, int]:
    with FlopCounterMode(display=False) as counter:
        result = job()
    return result, counter.get_total_flops()


@dataclass
class ComputeMeter:
    seed: int
    run_steps: int  # the stream's length: the sample is drawn from its positions
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    steps: int = 0
    counted_steps: list[int] = field(default_factory=list)  # FLOPs of each counted step
    eval_points: int = 0
    eval_episodes: int = 0
    counted_eval: list[tuple[int, int]] = field(default_factory=list)  # (FLOPs, episodes) of each counted point

    def __post_init__(self) -> None:
        self.sampled = sampled_positions(self.seed, self.run_steps)

    def train(self, position: int, job: Callable[[], T]) -> T:
        """Run stream step `position`, timed, and counted if it is in the sample."""
        start = time.perf_counter()
        if position in self.sampled:
            result, flops = _counted(job)
            self.counted_steps.append(flops)
        else:
            result = job()
        self.train_seconds += time.perf_counter() - start
        self.steps += 1
        return result

    def evaluate(self, job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run one eval point (its record holds ``scores`` with each suite's ``episodes``), timed, and counted
        if it falls in the sample."""
        start = time.perf_counter()
        if self.eval_points % EVAL_SAMPLE == 0:
            record, flops = _counted(job)
            self.counted_eval.append((flops, episodes_in(record)))
        else:
            record = job()
        self.eval_seconds += time.perf_counter() - start
        self.eval_points += 1
        self.eval_episodes += episodes_in(record)
        return record

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)  # the sample is not kept: seed and length give it again

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue a resumed run's count (checkpoints of runs older than the meter hold none: counted afresh)."""
        for name, value in state.items():
            setattr(self, name, list(map(tuple, value)) if name == "counted_eval" else value)
        self.sampled = sampled_positions(self.seed, self.run_steps)

    def summary(self) -> dict[str, Any]:
        train = sum(self.counted_steps) / len(self.counted_steps) * self.steps if self.counted_steps else None
        counted_episodes = sum(e for _, e in self.counted_eval)
        evaluation = (sum(f for f, _ in self.counted_eval) / counted_episodes * self.eval_episodes
                      if counted_episodes else None)
        return {"train_seconds": round(self.train_seconds, 2), "eval_seconds": round(self.eval_seconds, 2),
                "train_flops": None if train is None else float(f"{train:.4g}"),
                "eval_flops": None if evaluation is None else float(f"{evaluation:.4g}"),
                "flops_counted_steps": len(self.counted_steps), "flops_counted_eval_points": len(self.counted_eval),
                "eval_episodes": self.eval_episodes,
                "flops_method": METHOD.format(counted=len(self.sampled), steps=self.run_steps)}


def sampled_positions(seed: int, steps: int) -> frozenset[int]:
    """The stream positions whose FLOPs are counted: a fixed-size sample, the same in every process and resume."""
    size = min(steps, max(MIN_COUNTED_STEPS, round(steps / TRAIN_SAMPLE)))
    return frozenset(sorted(range(steps), key=lambda p: (zlib.crc32(f"{seed}/{p}".encode()), p))[:size])


def episodes_in(record: dict[str, Any]) -> int:
    """Episodes an eval record scored: over its segments (seen and upcoming) and splits."""
    return sum(int(split.get("episodes", 0)) for group in ("scores", "upcoming")
               for suites in record.get(group, {}).values() for split in suites.values())
