"""Episode-level scores: SR, GC and their path-length-weighted (PLW) versions, as in ALFRED."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class EpisodeResult:
    task_id: str
    success: bool
    goal_met: int
    goal_total: int
    steps: int  # T, actions the agent took
    expert_steps: int  # L*, the expert's path length


@dataclass(frozen=True)
class SuiteScores:
    sr: float
    gc: float
    plw_sr: float
    plw_gc: float
    episodes: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def score(results: Sequence[EpisodeResult]) -> SuiteScores:
    """SR = mean success; GC = goal conditions met / total, summed over episodes;
    PLW x = sum_i x_i * min(1, L*_i / T_i) * L*_i / sum_i L*_i."""
    if not results:
        raise ValueError("cannot score an empty suite")
    total_expert = sum(r.expert_steps for r in results)

    def plw(values: Sequence[float]) -> float:
        return sum(v * min(1.0, r.expert_steps / max(r.steps, 1)) * r.expert_steps
                   for v, r in zip(values, results)) / total_expert

    success = [float(r.success) for r in results]
    gc_each = [r.goal_met / r.goal_total for r in results]
    return SuiteScores(
        sr=sum(success) / len(results),
        gc=sum(r.goal_met for r in results) / sum(r.goal_total for r in results),
        plw_sr=plw(success), plw_gc=plw(gc_each), episodes=len(results),
    )
