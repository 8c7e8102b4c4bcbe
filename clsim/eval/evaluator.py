"""The evaluator: when a run is scored, on which segments, and how a point's rollouts become scores.

Eval points fall every `eval_every` samples and at every period's end; a point scores every
segment of which a sample has arrived (in a blurry stream, before its own period too) and, at a
period's end, the next period's segments for forward transfer. All of a point's episodes roll out
in one batch (the world's batched path where it has one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..agents import RandomAgent
from ..agents.base import Agent
from ..envs.core import Task, WorldFamily
from ..streams import Stream
from .episodes import score
from .rollout import rollout
from .summary import SPLITS, score_keys


def eval_points(total: int, every: int, period_ends: list[int]) -> list[int]:
    """Sample counts at which to evaluate: every `every` samples, each period's end, the end."""
    return sorted(set(range(every, total + 1, every)) | set(period_ends) | {total})


def seen_segments(stream: Stream, samples: int, first: dict[str, int]) -> list[str]:
    """Labels of which at least one sample has arrived (in a blurry stream, before their own segment too);
    `first` is ``stream.first_seen()``."""
    return [s for s in stream.segments if first.get(s, len(stream) + 1) <= samples]


def upcoming_segments(stream: Stream, samples: int, seen: list[str], period_ends: list[int]) -> list[str]:
    """At a period's end, the next period's labels of which no sample has arrived: scored for FWT only.
    `period_ends` is ``stream.period_ends()``."""
    for following, end in zip(stream.periods[1:], period_ends):
        if end == samples:
            return [s for s in following if s not in seen]
    return []


def evaluate(family: WorldFamily, agent: Agent, suites: dict[str, dict[str, list[Task]]], segments: list[str],
             max_steps: int) -> dict[str, dict[str, dict[str, float]]]:
    """Roll `agent` out on the suites of `segments`, all episodes in one batch; segment -> split -> score
    name -> value, the form eval records store."""
    jobs = [(s, split) for s in segments for split in suites[s]]
    tasks = [t for s, split in jobs for t in suites[s][split]]
    results = rollout(family, agent, tasks, max_steps=max_steps)
    world_scores = getattr(family, "suite_scores", None)
    out: dict[str, dict[str, dict[str, float]]] = {}
    start = 0
    for s, split in jobs:
        n = len(suites[s][split])
        out.setdefault(s, {})[split] = score(results[start : start + n], world_scores).as_dict()
        start += n
    return out


def random_baseline(family: WorldFamily, suites: dict[str, dict[str, list[Task]]], segments: Sequence[str],
                    max_steps: int, seed: int) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[str, float]]]]:
    """A random agent's scores on every segment's suites: (split -> score -> mean over segments, split -> score ->
    segment -> value), the floor FWT is measured above."""
    values = evaluate(family, RandomAgent(seed), suites, list(segments), max_steps)
    per_segment = {split: {k: {s: values[s][split][k] for s in segments} for k in score_keys(values)}
                   for split in SPLITS}
    means = {split: {k: float(np.mean(list(per_segment[split][k].values()))) for k in per_segment[split]}
             for split in SPLITS}
    return means, per_segment
