"""A run's summary and plots from its eval records: the matrix R[eval point][segment] per score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..streams.stream import Visit
from .plots import plot_stream_curves
from .rundir import RunDirectory
from .stream_metrics import stream_metrics

SPLITS = ("seen", "unseen")
SCORES = ("sr", "gc", "plw_sr", "plw_gc")  # every world's; navigation worlds add spl, ne, osr, ndtw, sdtw, gp, asks


NOT_SCORES = ("episodes", "solved", "skills")  # what an eval record holds per suite besides its scores


def score_keys(scores: dict[str, dict[str, Any]]) -> list[str]:
    """The score names in an eval record's ``scores`` (segment -> split -> name -> value), in order."""
    first = next(iter(scores.values()))
    return [k for k in next(iter(first.values())) if k not in NOT_SCORES]


def matrix(records: list[dict[str, Any]], segments: tuple[str, ...], split: str, key: str) -> np.ndarray:
    """a[i][j]: score `key` on segment j's `split` suite at eval point i (NaN before j starts)."""
    a = np.full((len(records), len(segments)), np.nan)
    for i, r in enumerate(records):
        for j, s in enumerate(segments):
            if s in r["scores"]:
                a[i, j] = r["scores"][s][split][key]
    return a


def summarise(records: list[dict[str, Any]], visits: Sequence[Visit], points: list[int]) -> dict[str, Any]:
    """Stream metrics of every score and split, and the final score of each segment.

    Learning accuracy, BWT and forgetting take each segment at the end of its last visit; a segment that recurs
    also gets one entry per visit in ``visits`` (see :func:`visit_scores`)."""
    first: dict[str, int] = {}
    for v in visits:
        first.setdefault(v.label, v.start)
    segments = list(first)
    last = {v.label: v.end for v in visits}
    ends = [last[s] for s in segments]
    samples = [r["samples"] for r in records]
    end_points = [points.index(e) for e in ends]
    summary: dict[str, Any] = {"segments": segments, "segment_ends": ends, "segment_starts": list(first.values()),
                               "period_ends": sorted({v.end for v in visits}), "samples": samples,
                               "metrics": {}, "final": {}}
    recurs = any(v.number > 1 for v in visits)
    if recurs:
        summary["visits"] = [{"label": v.label, "visit": v.number, "start": v.start, "end": v.end} for v in visits]
    for split in SPLITS:
        for key in score_keys(records[-1]["scores"]):
            a = matrix(records, tuple(segments), split, key)
            summary["metrics"][f"{split}/{key}"] = stream_metrics(a, samples, end_points).as_dict()
            summary["final"][f"{split}/{key}"] = dict(zip(segments, a[-1].tolist()))
            if key == "sr":
                flips = negative_flip_rates(records, split)
                summary.setdefault("negative_flips", {})[split] = flips
                summary["metrics"][f"{split}/sr"]["negative_flip_rate"] = _mean(flips[1:])
            if recurs:
                per_visit = visit_scores(a, segments, visits, samples)
                for entry, scores in zip(summary["visits"], per_visit):
                    entry[f"{split}/{key}"] = scores
                summary["metrics"][f"{split}/{key}"].update(recurrence_metrics(per_visit, visits))
    skills = {split: skill_forgetting(records, split) for split in SPLITS}
    if any(skills.values()):
        summary["skills"] = skills
    return summary


def skill_forgetting(records: list[dict[str, Any]], split: str) -> dict[str, dict[str, Any]]:
    """Per skill, its success over the stream: the share of its goal conditions met in the eval episodes of the
    segments seen by each eval point (``curve``, None where no seen episode needed it), the ``final`` one, the
    ``best`` before the end, and ``forgetting`` = best - final: "forgot cooling, kept putting"."""
    curves: dict[str, list[float | None]] = {}
    for i, record in enumerate(records):
        counts: dict[str, list[int]] = {}
        for suites in record["scores"].values():
            for skill, (met, total) in suites.get(split, {}).get("skills", {}).items():
                counts.setdefault(skill, [0, 0])
                counts[skill][0] += met
                counts[skill][1] += total
        for skill, (met, total) in counts.items():
            curves.setdefault(skill, [None] * len(records))[i] = met / total
    out = {}
    for skill, curve in sorted(curves.items()):
        earlier = [v for v in curve[:-1] if v is not None]
        final = curve[-1]
        best = max(earlier) if earlier else None
        out[skill] = {"curve": curve, "final": final, "best": best,
                      "forgetting": None if best is None or final is None else best - final}
    return out


def _mean(values: Sequence[float]) -> float:
    values = [x for x in values if not np.isnan(x)]
    return float(np.mean(values)) if values else float("nan")


def negative_flip_rates(records: list[dict[str, Any]], split: str) -> list[float]:
    """Per eval point, the negative flip rate (Yan et al., 2021): the share of eval episodes solved at the previous
    point and failed now, over the episodes of `split`'s suites scored at both points (the same tasks each time).
    NaN at the first point and for records written before per-episode results were kept."""
    rates = [float("nan")]
    for before, now in zip(records, records[1:]):
        flipped = compared = 0
        for segment, scores in now["scores"].items():
            old = before["scores"].get(segment, {}).get(split, {}).get("solved", "")
            new = scores[split].get("solved", "")
            if old and len(old) == len(new):
                compared += len(new)
                flipped += sum(a == "1" and b == "0" for a, b in zip(old, new))
        rates.append(flipped / compared if compared else float("nan"))
    return rates


def visit_scores(a: np.ndarray, segments: Sequence[str], visits: Sequence[Visit], samples: Sequence[int]
                 ) -> list[dict[str, float]]:
    """Per visit, on matrix `a` [eval points x segments] (CORA's isolated forgetting, per visit):
    ``before``, the score when the visit begins (NaN if not yet scored); ``learned``, at its end; ``forgotten``,
    `learned` minus the score just before the segment's next visit begins, or at the last eval point if it does not
    return (NaN when the visit ends at the last point)."""
    row = {n: i for i, n in enumerate(samples)}
    out = []
    for k, v in enumerate(visits):
        j = segments.index(v.label)
        before = a[row[v.start], j] if v.start in row else float("nan")
        learned = a[row[v.end], j]
        following = next((w for w in visits[k + 1:] if w.label == v.label), None)
        until = row[following.start] if following is not None else len(samples) - 1
        forgotten = learned - a[until, j] if until > row[v.end] else float("nan")
        out.append({"before": float(before), "learned": float(learned), "forgotten": float(forgotten)})
    return out


def recurrence_metrics(per_visit: Sequence[dict[str, float]], visits: Sequence[Visit]) -> dict[str, float]:
    """Means over visits: ``isolated_forgetting`` (over visits with a `forgotten` value); over the recurrences (second
    and later visits) ``retained_at_return`` (the score the segment kept when it returned) and ``relearned`` (what
    the recurrence added to it)."""
    returns = [s for s, v in zip(per_visit, visits) if v.number > 1]
    return {"isolated_forgetting": _mean([s["forgotten"] for s in per_visit]),
            "retained_at_return": _mean([s["before"] for s in returns]),
            "relearned": _mean([s["learned"] - s["before"] for s in returns])}


def add_forward_transfer(summary: dict[str, Any], records: list[dict[str, Any]],
                         baseline: dict[str, dict[str, dict[str, float]]]) -> None:
    """FWT = mean_{j>1} (a[s_j][j] - b_j): each segment's score just before its own first period begins at s_j
    samples (scored as "upcoming" at the previous period's end), above a random agent's score b_j on it.
    Labels of the first period have no score before their samples and are left out."""
    segments, starts = summary["segments"], summary["segment_starts"]
    for split in SPLITS:
        for key in baseline[split]:
            gains = []
            for segment, start in zip(segments, starts):
                if start == 0:
                    continue
                record = records[summary["samples"].index(start)]
                scores = record["scores"].get(segment) or record.get("upcoming", {}).get(segment)
                if scores is not None:
                    gains.append(scores[split][key] - baseline[split][key][segment])
            summary["metrics"][f"{split}/{key}"]["fwt"] = float(np.mean(gains)) if gains else float("nan")


def plot_run(run: RunDirectory, summary: dict[str, Any]) -> None:
    """plots/{sr,gc}_{seen,unseen}.png: each segment's score over the stream."""
    segments = summary["segments"]
    names = {"sr": ("SR", "Success rate"), "gc": ("GC", "Goal-condition success")}
    for key, (label, title) in names.items():
        for split in SPLITS:
            a = matrix(run.records, tuple(segments), split, key)
            plot_stream_curves(run.plots / f"{key}_{split}.png", a, summary["samples"], segments,
                               summary["period_ends"], f"{title} on {split} scenes over the stream", label)
