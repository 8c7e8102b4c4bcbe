"""Navigation's own scores, from the facts each episode reports in ``info["navigation"]`` (metres, counts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Report columns (name, score key, stream statistic) that navigation runs add to clsim report's tables.
REPORT_COLUMNS = (("SPL A_last", "seen/spl", "a_last"), ("SPL F", "seen/spl", "forgetting"),
                  ("nDTW A_last", "seen/ndtw", "a_last"), ("unseen SPL", "unseen/spl", "a_last"))
TABLE_SCORES = ("spl", "ndtw")  # what clsim train's stream-metrics table shows beside SR, GC and PLW SR


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
