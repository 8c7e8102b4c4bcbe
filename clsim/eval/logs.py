"""A run's curves as CSV files beside its records: ``logs/train.csv`` (every update's training loss, with the
samples seen by then: one continuous curve across segments) and ``logs/eval.csv`` (every score of every eval
point, one row each). Rewritten atomically at every eval point and checkpoint and at the end. With the
``tensorboard`` logger the same curves also go to ``logs/tensorboard`` as TensorBoard scalars."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..files import atomic_write_bytes
from .summary import NOT_SCORES

LOGGERS = ("csv", "tensorboard")  # csv is always written
TRAIN_COLUMNS = ("samples", "update", "loss")
EVAL_COLUMNS = ("samples", "updates", "segment", "split", "score", "value")


def _csv(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def check_loggers(loggers: tuple[str, ...]) -> None:
    """Fail before a run starts on an unknown logger or a missing package."""
    unknown = sorted(set(loggers) - set(LOGGERS))
    if unknown:
        raise ValueError(f"unknown logger {', '.join(map(repr, unknown))}; allowed: {', '.join(LOGGERS)}")
    if "tensorboard" in loggers:
        try:
            import tensorboard  # noqa: F401
        except ImportError as error:
            raise ValueError("logger 'tensorboard' needs the tensorboard package: pip install 'clsim[tensorboard]'"
                             ) from error


class TensorBoardLog:
    """The curves as TensorBoard scalars: ``train/loss`` by update, and every eval score as
    ``<split>/<score>/<segment>`` by samples seen. Writes what was added since its last write; a resumed run
    appends to the same directory from its checkpoint on."""

    def __init__(self, directory: Path, losses_written: int = 0, records_written: int = 0) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(directory / "tensorboard"))
        self.losses_written, self.records_written = losses_written, records_written

    def write(self, losses: list[tuple[int, int, float]], records: list[dict[str, Any]]) -> None:
        for _, update, loss in losses[self.losses_written:]:
            self.writer.add_scalar("train/loss", loss, update)
        for samples, _, segment, split, name, value in eval_rows(records[self.records_written:]):
            self.writer.add_scalar(f"{split}/{name}/{segment}", value, samples)
        self.losses_written, self.records_written = len(losses), len(records)
        self.writer.flush()


class RunLog:
    """The training curve as the run goes (taken from a learner's ``take_losses``), the CSV files and, when
    asked for, TensorBoard's."""

    def __init__(self, directory: Path, loggers: tuple[str, ...] = ()) -> None:
        check_loggers(loggers)
        self.directory = directory / "logs"
        self.losses: list[tuple[int, int, float]] = []
        self.tensorboard = "tensorboard" in loggers
        self._board: TensorBoardLog | None = None

    def add(self, samples: int, learner: Any) -> None:
        take = getattr(learner, "take_losses", None)  # plug-in learners may keep no curve
        if callable(take):
            self.losses += [(samples, update, loss) for update, loss in take()]

    def write(self, records: list[dict[str, Any]]) -> None:
        atomic_write_bytes(self.directory / "train.csv", _csv(TRAIN_COLUMNS, self.losses))
        atomic_write_bytes(self.directory / "eval.csv", _csv(EVAL_COLUMNS, eval_rows(records)))
        if self.tensorboard:
            if self._board is None:
                self._board = TensorBoardLog(self.directory)
            self._board.write(self.losses, records)

    def start_board(self, records: list[dict[str, Any]]) -> None:
        """Count what a resumed run's TensorBoard files already hold: the losses and records up to the checkpoint."""
        if self.tensorboard:
            self._board = TensorBoardLog(self.directory, len(self.losses), len(records))

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
