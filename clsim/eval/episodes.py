"""Episode-level scores: SR, GC and their path-length-weighted (PLW) versions, as in ALFRED, for every world;
a world adds its own scores from the facts its episodes report (navigation: SPL, nDTW, …; see
``WorldFamily.suite_scores``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EpisodeResult:
    task_id: str
    success: bool
    goal_met: int
    goal_total: int
    steps: int  # T, actions the agent took
    expert_steps: int  # L*, the expert's path length
    facts: Mapping[str, float] | None = None  # what the world reports about the episode for its own scores
    skills: Mapping[str, tuple[int, int]] | None = None  # per skill its goal conditions (met, total), where the
    # world names them (household: put, pick up, toggle, heat, cool, clean, slice)


@dataclass(frozen=True)
class SuiteScores:
    sr: float
    gc: float
    plw_sr: float
    plw_gc: float
    episodes: int
    solved: str = ""  # "1" or "0" per episode, in the suite's order: which episodes flipped between eval points
    world: Mapping[str, float] = field(default_factory=dict)  # the world's own scores (navigation: spl, ne, …)
    skills: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # per skill (met, total), summed

    def as_dict(self) -> dict[str, Any]:
        record = {k: v for k, v in asdict(self).items() if k not in ("world", "skills")}
        if self.skills:
            record["skills"] = {k: list(v) for k, v in sorted(self.skills.items())}
        return {**record, **self.world}


def score(results: Sequence[EpisodeResult],
          world_scores: Callable[[list[Mapping[str, float]]], dict[str, float]] | None = None) -> SuiteScores:
    """SR = mean success; GC = goal conditions met / total, summed over episodes;
    PLW x = sum_i x_i * min(1, L*_i / T_i) * L*_i / sum_i L*_i; and `world_scores` of the episodes' facts where
    every episode reports them."""
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
        solved="".join("1" if r.success else "0" for r in results),
        world=world_scores([r.facts for r in results]) if world_scores and all(r.facts for r in results) else {},
        skills=sum_skills(r.skills for r in results if r.skills),
    )


def sum_skills(counts: Iterable[Mapping[str, Sequence[int]]]) -> dict[str, tuple[int, int]]:
    """Per skill, (met, total) summed over `counts`."""
    total: dict[str, tuple[int, int]] = {}
    for count in counts:
        for skill, (met, n) in count.items():
            done, seen = total.get(skill, (0, 0))
            total[skill] = (done + met, seen + n)
    return total
