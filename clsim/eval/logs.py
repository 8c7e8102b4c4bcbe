"""A run's curves as CSV files beside its records: ``logs/train.csv`` (every update's training loss, with the
samples seen by then: one continuous curve across segments) and ``logs/eval.csv`` (every score of every eval
point, one row each). Rewritten atomically at every eval point and checkpoint and at the end."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..files import atomic_write_bytes
from .summary import NOT_SCORES

TRAIN_COLUMNS = ("samples", "update", "loss")
EVAL_COLUMNS = ("samples", "updates", "segment", "split", "score", "value")


def _csv(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


class RunLog:
    """The training curve as the run goes (taken from a learner's ``take_losses``), and the CSV files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "logs"
        self.losses: list[tuple[int, int, float]] = []

    def add(self, samples: int, learner: Any) -> None:
        take = getattr(learner, "take_losses", None)  # plug-in learners may keep no curve
        if callable(take):
            self.losses += [(samples, update, loss) for update, loss in take()]

    def write(self, records: list[dict[str, Any]]) -> None:
        atomic_write_bytes(self.directory / "train.csv", _csv(TRAIN_COLUMNS, self.losses))
        atomic_write_bytes(self.directory / "eval.csv", _csv(EVAL_COLUMNS, eval_rows(records)))

    def restore(self, samples: int) -> None:
        """Continue a resumed run: the losses written up to its checkpoint at `samples` samples."""
        path = self.directory / "train.csv"
        if not path.exists():
            return
        with path.open(newline="") as f:
            self.losses = [(int(r["samples"]), int(r["update"]), float(r["loss"])) for r in csv.DictReader(f)
                           if int(r["samples"]) <= samples]


def eval_rows(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """One row per (eval point, segment, split, score) of the records' seen and upcoming segments, in sorted
    order (a record read back from metrics.jsonl has its keys sorted); a record without ``samples`` (a feedback
    round) gives its round instead."""
    return [(r.get("samples", r.get("round")), r.get("updates"), segment, split, name, value)
            for r in records for group in ("scores", "upcoming") for segment, splits in sorted(r.get(group, {}).items())
            for split, scores in sorted(splits.items()) for name, value in sorted(scores.items()) if name not in NOT_SCORES]
