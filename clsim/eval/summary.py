"""A run's summary and plots from its eval records: the matrix R[eval point][segment] per score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .plots import plot_stream_curves
from .rundir import RunDirectory
from .stream_metrics import stream_metrics

SPLITS = ("seen", "unseen")
SCORES = ("sr", "gc", "plw_sr", "plw_gc")  # every world's; navigation worlds add spl, ne, osr, ndtw, sdtw, gp, asks


def score_keys(scores: dict[str, dict[str, Any]]) -> list[str]:
    """The score names in an eval record's ``scores`` (segment -> split -> name -> value), in order."""
    first = next(iter(scores.values()))
    return [k for k in next(iter(first.values())) if k != "episodes"]


def matrix(records: list[dict[str, Any]], segments: tuple[str, ...], split: str, key: str) -> np.ndarray:
    """a[i][j]: score `key` on segment j's `split` suite at eval point i (NaN before j starts)."""
    a = np.full((len(records), len(segments)), np.nan)
    for i, r in enumerate(records):
        for j, s in enumerate(segments):
            if s in r["scores"]:
                a[i, j] = r["scores"][s][split][key]
    return a


def summarise(records: list[dict[str, Any]], segments: Sequence[str], points: list[int],
              ends: list[int]) -> dict[str, Any]:
    """Stream metrics of every score and split, and the final score of each segment."""
    samples = [r["samples"] for r in records]
    end_points = [points.index(e) for e in ends]
    summary: dict[str, Any] = {"segments": list(segments), "segment_ends": ends, "samples": samples,
                               "metrics": {}, "final": {}}
    for split in SPLITS:
        for key in score_keys(records[-1]["scores"]):
            a = matrix(records, tuple(segments), split, key)
            summary["metrics"][f"{split}/{key}"] = stream_metrics(a, samples, end_points).as_dict()
            summary["final"][f"{split}/{key}"] = dict(zip(segments, a[-1].tolist()))
    return summary


def add_forward_transfer(summary: dict[str, Any], records: list[dict[str, Any]],
                         baseline: dict[str, dict[str, dict[str, float]]]) -> None:
    """FWT = mean_{j>1} (a[e_{j-1}][j] - b_j): each segment's score just before its own samples begin
    (scored as "upcoming" at the previous period's end), above a random agent's score b_j on it.
    Labels of the first period have no score before their samples and are left out."""
    segments, ends = summary["segments"], summary["segment_ends"]
    for split in SPLITS:
        for key in baseline[split]:
            gains = []
            for j, segment in enumerate(segments):
                earlier = [e for e in ends if e < ends[j]]
                if not earlier:
                    continue
                record = records[summary["samples"].index(max(earlier))]
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
                               summary["segment_ends"], f"{title} on {split} scenes over the stream", label)
