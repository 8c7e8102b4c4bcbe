"""Episode-level scores: SR, GC and their path-length-weighted (PLW) versions, as in ALFRED; and for
worlds that report navigation facts, R2R/CVDN's SPL, navigation error, oracle SR, nDTW, SDTW, goal
progress and questions asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class EpisodeResult:
    task_id: str
    success: bool
    goal_met: int
    goal_total: int
    steps: int  # T, actions the agent took
    expert_steps: int  # L*, the expert's path length
    navigation: Mapping[str, float] | None = None  # info["navigation"] of worlds that navigate (metres, counts)


@dataclass(frozen=True)
class SuiteScores:
    sr: float
    gc: float
    plw_sr: float
    plw_gc: float
    episodes: int
    solved: str = ""  # "1" or "0" per episode, in the suite's order: which episodes flipped between eval points
    navigation: Mapping[str, float] = field(default_factory=dict)  # spl, ne, osr, ndtw, sdtw, gp, asks

    def as_dict(self) -> dict[str, float]:
        record = asdict(self)
        return {**{k: v for k, v in record.items() if k != "navigation"}, **self.navigation}


def navigation_scores(facts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """SPL = mean S*l/max(p, l) (Anderson et al. 2018); NE = mean distance to the goal at the end (m);
    OSR = mean oracle success; nDTW and SDTW = mean nDTW and S*nDTW (Ilharco et al. 2019); GP = mean goal
    progress (m, Thomason et al. 2019); asks = mean questions to the guide."""
    def mean(values: Sequence[float]) -> float:
        return sum(values) / len(values)

    return {"spl": mean([f["success"] * f["shortest_length"] / max(f["path_length"], f["shortest_length"])
                         for f in facts]),
            "ne": mean([f["nav_error"] for f in facts]), "osr": mean([f["oracle_success"] for f in facts]),
            "ndtw": mean([f["ndtw"] for f in facts]), "sdtw": mean([f["success"] * f["ndtw"] for f in facts]),
            "gp": mean([f["progress"] for f in facts]), "asks": mean([f["asks"] for f in facts])}


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
        solved="".join("1" if r.success else "0" for r in results),
        navigation=navigation_scores([r.navigation for r in results]) if all(r.navigation for r in results) else {},
    )
