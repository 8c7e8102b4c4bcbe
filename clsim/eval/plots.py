"""Plots: each segment's score over a run's stream, and a comparison of learners across runs."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..files import atomic_write_bytes  # noqa: E402


def plot_stream_curves(path: Path, matrix: np.ndarray, samples: Sequence[int], segments: Sequence[str],
                       period_ends: Sequence[int], title: str, ylabel: str, xlabel: str = "stream samples",
                       extra: Mapping[str, Sequence[float]] | None = None) -> Path:
    """One line per segment, their mean in bold, and any `extra` curves (same x) dashed."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for j, name in enumerate(segments):
        ax.plot(samples, matrix[:, j], marker="o", markersize=3, label=name)
    ax.plot(samples, np.nanmean(matrix, axis=1), color="black", linewidth=2.5, label="mean (seen)")
    for name, values in (extra or {}).items():
        ax.plot(samples, values, color="black", linestyle="--", linewidth=1.5, label=name)
    for end in period_ends[:-1]:
        ax.axvline(end, color="grey", linestyle=":", linewidth=0.8)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(-0.02, 1.02))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    _save(fig, path)
    return path


def _save(fig: plt.Figure, path: Path) -> None:
    """PNG bytes written atomically, like every other file of a run or report."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(Path(path), buffer.getvalue())


def plot_comparison(path: Path, labels: Sequence[str], columns: dict[str, Sequence[tuple[float, float]]]) -> None:
    """Grouped bars, one group per label, one bar per column, with 95 % confidence-interval whiskers."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(labels) * len(columns) / 2), 4.5))
    width = 0.8 / len(columns)
    for k, (name, values) in enumerate(columns.items()):
        xs = [i + (k - (len(columns) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [m for m, _ in values], width, yerr=[s for _, s in values], capsize=3, label=name)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel("%")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.legend()
    ax.set_title("Learner comparison (mean ± 95 % CI over runs)")
    fig.tight_layout()
    _save(fig, path)


def plot_over_stream(path: Path, curves: dict[str, dict[int, float]]) -> None:
    """Each group's mean seen-scene SR (%) over the stream."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, curve in curves.items():
        ax.plot(list(curve), list(curve.values()), marker="o", markersize=3, label=label)
    ax.set(xlabel="stream samples", ylabel="SR on seen segments (%)", title="Success rate over the stream")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    _save(fig, path)


def plot_against_compute(path: Path, points: dict[str, list[tuple[float, float]]]) -> None:
    """Each run's SR A_last (%) against its training FLOPs (log scale), one marker per learner: learners compared at
    the compute they spent."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, runs in points.items():
        ax.scatter([f for f, _ in runs], [a for _, a in runs], label=label)
    ax.set_xscale("log")
    ax.set(xlabel="training FLOPs (sampled and extrapolated)", ylabel="SR A_last, seen (%)",
           title="Final success against training compute")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)


def plot_forgetting(path: Path, labels: Sequence[str], segments: Sequence[str], values: Sequence[Sequence[float]]) -> None:
    """Heatmap of SR forgetting (%) per group (rows) and segment (columns): red lost, blue gained, blank undefined."""
    data = np.array(values, dtype=float)
    fig, ax = plt.subplots(figsize=(1.2 * len(segments) + 4, 0.45 * len(labels) + 2))
    bound = max(1.0, float(np.nanmax(np.abs(data)))) if np.isfinite(data).any() else 1.0
    image = ax.imshow(np.ma.masked_invalid(data), cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
    ax.set_xticks(range(len(segments)), [s.replace("_", " ") for s in segments], rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for (i, j), v in np.ndenumerate(data):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="forgetting (SR points)")
    ax.set_title("Forgetting per segment (max earlier - final)")
    fig.tight_layout()
    _save(fig, path)
