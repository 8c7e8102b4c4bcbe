"""Plots of a run: each segment's score over the stream, with the seen-segment mean."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_stream_curves(path: Path, matrix: np.ndarray, samples: Sequence[int], segments: Sequence[str],
                       segment_ends: Sequence[int], title: str, ylabel: str) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for j, name in enumerate(segments):
        ax.plot(samples, matrix[:, j], marker="o", markersize=3, label=name)
    ax.plot(samples, np.nanmean(matrix, axis=1), color="black", linewidth=2.5, label="mean (seen)")
    for end in segment_ends[:-1]:
        ax.axvline(end, color="grey", linestyle=":", linewidth=0.8)
    ax.set(xlabel="stream samples", ylabel=ylabel, title=title, ylim=(-0.02, 1.02))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
