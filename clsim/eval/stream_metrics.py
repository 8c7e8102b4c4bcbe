"""Stream metrics on the matrix a[i][j]: the score on segment j at eval point i (NaN = not yet seen).

A_last = mean_j a[T][j]; A_avg = mean over eval points of the mean over seen segments;
A_AUC = sum_i acc_i * (n_i - n_{i-1}) / n_T, acc_i the seen-segment mean at n_i samples;
forgetting F = mean_j (max_{l<T} a[l][j] - a[T][j]) over the segments that ended before the last
point (Chaudhry et al.: the last segment has had no time to be forgotten; its entry is NaN);
BWT = mean_{j<last} (a[T][j] - a[e_j][j]), e_j the eval point at the end of segment j;
learning accuracy LA = mean_j a[e_j][j] (Riemer et al. 2019): what each segment was learned to by its end.
F is bounded by what was learned, so it is read beside LA: a learner that learns little forgets little.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class StreamMetrics:
    a_last: float
    a_avg: float
    a_auc: float
    forgetting: float
    bwt: float
    learning_accuracy: float
    forgetting_per_segment: tuple[float, ...]

    def as_dict(self) -> dict:
        return asdict(self)


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def stream_metrics(matrix: np.ndarray, samples: Sequence[int], segment_end_points: Sequence[int]) -> StreamMetrics:
    """Metrics of `matrix` [eval points x segments].

    `samples[i]` is the number of stream samples seen at eval point i; `segment_end_points[j]`
    is the index of the eval point taken when segment j had just ended.
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != len(samples) or a.shape[1] != len(segment_end_points):
        raise ValueError(f"matrix shape {a.shape} does not match {len(samples)} eval points "
                         f"x {len(segment_end_points)} segments")
    last = a[-1]
    seen_means = np.array([_nanmean(row) for row in a])
    n = np.asarray(samples, dtype=float)
    widths = np.diff(np.concatenate([[0.0], n]))
    ends = np.asarray(segment_end_points, dtype=int)
    at_end = a[ends, np.arange(len(ends))]  # a[e_j][j]: each segment's score when it had just ended
    ended = ends < a.shape[0] - 1  # segments with eval points after their end, so with time to be forgotten
    forgetting = []
    for j in range(len(ends)):
        earlier = a[:-1, j][~np.isnan(a[:-1, j])]
        forgetting.append(float(earlier.max() - last[j]) if ended[j] and earlier.size else float("nan"))
    return StreamMetrics(
        a_last=_nanmean(last), a_avg=_nanmean(seen_means),
        a_auc=float(np.nansum(seen_means * widths) / n[-1]),
        forgetting=_nanmean(np.array(forgetting)), bwt=_nanmean(last[ended] - at_end[ended]),
        learning_accuracy=_nanmean(at_end),
        forgetting_per_segment=tuple(forgetting),
    )
