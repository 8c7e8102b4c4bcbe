"""Task-free online streams of demonstrations, disjoint or blurry, and the evaluation suites that go with them."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, groupby
from pathlib import Path

from ..envs.core import Demonstration, Task, WorldFamily
from ..files import atomic_write_bytes
from .blurry import Blurry
from .setups import Setup


@dataclass(frozen=True)
class StreamItem:
    """One sample of the stream. `segment` (the period it arrives in) and `label` (its own task or
    scene type; the same as `segment` in a disjoint stream) are for the evaluator and logs, never
    the learner."""

    position: int
    segment: str
    label: str
    demonstration: Demonstration


def segment_tasks(family: WorldFamily, setup: Setup, segment: str, split: str, count: int,
                   seed: int) -> list[Task]:
    """`count` tasks of one segment, balanced over its (behavior, environment) cells, in a seeded order."""
    cells = setup.cells(family, segment)
    per_cell = [count // len(cells) + (i < count % len(cells)) for i in range(len(cells))]
    tasks = [t for (b, e), n in zip(cells, per_cell) if n
             for t in family.make_tasks(b, e, split, n, seed)]
    random.Random(f"shuffle/{segment}/{split}/{seed}").shuffle(tasks)
    return tasks


@dataclass
class Stream:
    """A deterministic sequence of demonstrations built from (family, setup, order, seed[, blurry]).

    `periods` are the stream's stretches in arrival order, each with its major labels (one in a
    disjoint or i-Blurry stream, possibly several in Si-Blurry); `segments` are the labels in
    the order of their first periods, the units the evaluator scores. A sample's `segment` is the name
    of the period it arrives in: its labels joined by '+'. In a disjoint stream a segment may recur
    (its order names it again later): each of its periods is a `Visit` with fresh demonstrations,
    scored per visit by the summary.
    """

    family: WorldFamily
    setup: Setup
    order: int
    seed: int
    per_segment: int
    blurry: Blurry | None = None  # None: disjoint segments
    source: Path | None = None  # a JSONL file (see `write_jsonl`) that gives the samples instead

    def __post_init__(self) -> None:
        if self.per_segment < 1:
            raise ValueError(f"samples per segment must be >= 1, got {self.per_segment}")
        if self.source is not None:
            self.periods, self.tasks = read_jsonl(Path(self.source), self.family.name, self.setup)
        else:
            order = self.setup.segments(self.family, self.order)
            if self.blurry and len(set(order)) < len(order):
                raise ValueError(f"order {self.order} of setup {self.setup.name} has recurring segments "
                                 f"({', '.join(order)}); blurry streams deal each label's samples around its one own "
                                 "period, so they cannot recur: use a disjoint stream (no --blurry)")
            if self.blurry:
                own = {s: segment_tasks(self.family, self.setup, s, "train", self.per_segment, self.seed) for s in order}
                dealt = self.blurry.deal(order, own, self.seed)
            else:
                dealt = [((s,), segment_tasks(self.family, self.setup, s, "train", self.per_segment,
                                              visit_seed(self.seed, visit)))
                         for s, visit in zip(order, visit_numbers(order))]
            self.periods = tuple(labels for labels, _ in dealt)
            self.tasks = [(period_name(labels), t) for labels, samples in dealt for t in samples]
        self.segments = tuple(dict.fromkeys(label for labels in self.periods for label in labels))

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[StreamItem]:
        return self.iter_from(0)

    def label(self, task: Task) -> str:
        """The segment a task belongs to by its own type (its setup's axis)."""
        return self.setup.label(task)

    def iter_from(self, start: int) -> Iterator[StreamItem]:
        """The stream from position `start` on (a resumed run skips what it has learned)."""
        for position in range(start, len(self.tasks)):
            yield self.item(position)

    def item(self, position: int) -> StreamItem:
        """The sample at `position`, its expert demonstration made now."""
        segment, task = self.tasks[position]
        return StreamItem(position, segment, self.label(task), self.family.demonstrate(task))

    def period_ends(self) -> list[int]:
        """The number of samples seen at the end of each period, in stream order."""
        return list(accumulate(len(list(run)) for _, run in groupby(name for name, _ in self.tasks)))

    def visits(self) -> list[Visit]:
        """Each period's stay of each of its labels, in stream order: a label that recurs has one per period."""
        ends = self.period_ends()
        return [Visit(label, number, start, end) for labels, number, start, end
                in zip(self.periods, visit_numbers(self.periods), [0, *ends[:-1]], ends) for label in labels]

    def segment_ends(self) -> dict[str, int]:
        """For each label, the number of samples seen when its last period has ended."""
        return {v.label: v.end for v in self.visits()}

    def first_seen(self) -> dict[str, int]:
        """For each label, the number of samples seen when its first sample arrives."""
        first: dict[str, int] = {}
        for position, (_, task) in enumerate(self.tasks):
            first.setdefault(self.label(task), position + 1)
        return first

    def eval_suites(self, per_suite: int, splits: tuple[str, ...] = ("seen", "unseen")) -> dict[str, dict[str, list[Task]]]:
        """Held-out tasks per segment and split: seen layouts and unseen layouts."""
        return {s: {split: segment_tasks(self.family, self.setup, s, split, per_suite, self.seed)
                    for split in splits} for s in self.segments}


@dataclass(frozen=True)
class Visit:
    """One stay of a label in the stream: its `number`-th period (1 = its first), from `start` to `end` samples."""

    label: str
    number: int
    start: int
    end: int


def period_name(labels: tuple[str, ...]) -> str:
    return "+".join(labels)


def visit_numbers(periods: Sequence[Hashable]) -> list[int]:
    """For each period (or segment) in order, how many times it has occurred so far, itself included."""
    counts: dict[Hashable, int] = {}
    numbers = []
    for period in periods:
        counts[period] = counts.get(period, 0) + 1
        numbers.append(counts[period])
    return numbers


def visit_seed(seed: int, visit: int) -> int:
    """The task seed of a segment's `visit`-th period: the first uses the stream's seed, and a recurrence draws
    new demonstrations of the same segment."""
    return seed if visit == 1 else seed + 100_003 * (visit - 1)


def write_jsonl(stream: Stream, path: Path) -> None:
    """One line per sample, in stream order: its period (segment) and its task (replayable from the fields alone)."""
    lines = [json.dumps({"segment": segment, "task": task.to_dict()}, sort_keys=True) for segment, task in stream.tasks]
    atomic_write_bytes(Path(path), ("\n".join(lines) + "\n").encode())


def content_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (a stream file's identity, stored with runs that learn from it)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise ValueError(f"cannot read stream file {path}: {error.strerror or error}") from error


def read_jsonl(path: Path, family: str, setup: Setup) -> tuple[tuple[tuple[str, ...], ...], list[tuple[str, Task]]]:
    """Periods (in stream order; a recurring period once per visit) and samples of a stream file; clear errors for
    bad lines."""
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise ValueError(f"cannot read stream file {path}: {error.strerror or error}") from error
    tasks: list[tuple[str, Task]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            segment, task = str(record["segment"]), Task.from_dict(record["task"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a stream sample ({error})") from None
        if task.family != family:
            raise ValueError(f"{path}:{number}: the stream holds {task.family} tasks, but this run's world is {family}; "
                             f"train it with --world {task.family} and the setup it was written for")
        tasks.append((segment, task))
    if not tasks:
        raise ValueError(f"stream file {path} holds no samples")
    periods = tuple(tuple(name.split("+")) for name, _ in groupby(name for name, _ in tasks))
    owner: dict[str, tuple[str, ...]] = {}
    for labels in periods:
        for label in labels:
            if owner.setdefault(label, labels) != labels:
                raise ValueError(f"stream file {path}: label {label!r} is major in two different periods "
                                 f"({period_name(owner[label])} and {period_name(labels)}); a label may recur only "
                                 "as the same period")
    segments = list(dict.fromkeys(label for labels in periods for label in labels))
    try:
        strays = sorted({setup.label(t) for _, t in tasks} - set(segments))
    except ValueError as error:
        raise ValueError(f"stream file {path}: {error}") from None
    if strays:
        raise ValueError(f"stream file {path} was written for another setup: setup {setup.name} puts its samples in "
                         f"{', '.join(strays)}, which are not among the file's segments ({', '.join(segments)}); "
                         "train it with the --setup it was written with")
    return periods, tasks
