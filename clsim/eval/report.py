"""Comparing runs: one row per run, then mean ± 95 % confidence interval over the seeds and orders of
each (setup, learner, settings) group, and paired differences between learners run on the same seed
and order; runs whose other settings differ are never averaged together or compared.

Reads only what runs wrote (config.json, summary.json, metrics.jsonl), so a report can be made on
another machine from copied run directories; writes Markdown and CSV tables and three plots.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..envs import get_family
from ..files import atomic_write_bytes
from ..learners import get_learner, settings_class
from ..learners.base import SHARED_SETTINGS
from ..learners.registry import current_name
from .rundir import RunDirectoryError, read_records

# (column, summary metric key, stream metric); reported in percent
COLUMNS = (("SR A_last", "seen/sr", "a_last"), ("SR A_AUC", "seen/sr", "a_auc"),
           ("SR LA", "seen/sr", "learning_accuracy"), ("SR F", "seen/sr", "forgetting"), ("SR BWT", "seen/sr", "bwt"),
           ("SR NFR", "seen/sr", "negative_flip_rate"),
           ("GC A_last", "seen/gc", "a_last"), ("GC F", "seen/gc", "forgetting"),
           ("unseen SR", "unseen/sr", "a_last"), ("unseen GC", "unseen/gc", "a_last"))


def world_columns(world: str) -> tuple[tuple[str, str, str], ...]:
    """The report columns world `world` declares for its own scores (none if it declares none or cannot be loaded)."""
    try:
        return tuple(getattr(get_family(world), "report_columns", ()))
    except ValueError:
        return ()


def columns(items: list[Any]) -> list[str]:
    """The columns of a table of runs or groups: every world's, then those the runs' worlds declare, in order."""
    names = [c for c, _, _ in COLUMNS]
    return names + list(dict.fromkeys(c for item in items for c in item.scores if c not in names))


def cell(item: Any, column: str) -> str:
    """A group's mean ± s.e. in `column`, or a dash where its runs have no such score."""
    return fmt(*item.scores[column], item.runs) if column in item.scores else "—"


# What a run records beside its settings, or settings that make replicates rather than other experiments: the
# thread count changes the bits of a run, not what it measures.
NOT_SETTINGS = ("learner", "order", "seed", "agent_spec", "segments", "provenance", "threads")


def settings_id(config: dict[str, Any]) -> str:
    """A short fingerprint of every setting but learner, order and seed (and what `NOT_SETTINGS` names), with only
    the learner settings every learner shares: runs that share it may be averaged (with their learner's) and
    compared (across learners). A learner's own settings go into its label (`learner_label`)."""
    settings = {k: v for k, v in config.items() if k not in NOT_SETTINGS}
    settings["learner_config"] = {k: v for k, v in config.get("learner_config", {}).items() if k in SHARED_SETTINGS}
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:6]


def learner_label(config: dict[str, Any]) -> str:
    """The run's learner, with its own settings where they differ from its defaults: ``cama`` or
    ``cama[alpha=0.3]``. A learner that cannot be loaded here (a plug-in not installed) shows every own setting."""
    name, stored = current_name(config["learner"]), config.get("learner_config", {})
    try:
        defaults = asdict(settings_class(get_learner(name))())
    except (ValueError, TypeError):
        defaults = {}
    own = {k: v for k, v in sorted(stored.items()) if k not in SHARED_SETTINGS}
    if defaults:  # the learner's own settings that differ from its defaults (earlier versions stored others' too)
        own = {k: v for k, v in own.items() if k in defaults and defaults[k] != v}
    return name + ("[" + ",".join(f"{k}={v}" for k, v in own.items()) + "]" if own else "")


@dataclass
class RunRow:
    path: Path
    setup: str
    learner: str
    settings: str  # settings_id of the run's config
    order: int
    seed: int
    scores: dict[str, float]  # column -> percent
    wall_seconds: float
    memory_bytes: int | None
    curve: dict[int, float]  # samples -> mean seen-scene SR over the segments seen so far (%)
    forgetting: dict[str, float]  # segment -> seen-scene SR forgetting (%; NaN for the last segment)
    train_flops: float | None = None  # the run's sampled and extrapolated training FLOPs (None: runs without them)
    eval_flops: float | None = None


def percent(value: float | None) -> float:
    """A stored fraction in percent; summary.json writes undefined values (NaN) as null."""
    return math.nan if value is None else 100 * value


def read_run(path: Path) -> RunRow:
    """One finished run's row; a clear error for anything that is not one."""
    path = Path(path)
    try:
        config = json.loads((path / "config.json").read_text())
        summary = json.loads((path / "summary.json").read_text())
        metrics = summary["metrics"]
        declared = world_columns(config.get("world") or "household")
        scores = {column: percent(metrics[key][stat]) for column, key, stat in (*COLUMNS, *declared)
                  if stat in metrics.get(key, {})}
        records = read_records(path / "metrics.jsonl")
        curve = {r["samples"]: 100 * sum(v["seen"]["sr"] for v in r["scores"].values()) / len(r["scores"])
                 for r in records}
        forgetting = dict(zip(summary["segments"], map(percent, metrics["seen/sr"]["forgetting_per_segment"])))
        cost = summary["cost"]
        return RunRow(path, config["setup"], learner_label(config), settings_id(config), config["order"], config["seed"],
                      scores, cost["wall_seconds"], cost.get("memory_bytes"), curve, forgetting,
                      cost.get("train_flops"), cost.get("eval_flops"))
    except FileNotFoundError as error:
        raise RunDirectoryError(f"{path} is not a finished clsim run (missing {Path(error.filename).name})") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunDirectoryError(f"cannot read the run in {path}: {error!r}") from error


@dataclass
class RunSelection:
    """What `select_runs` made of the paths given to a report: each finished run once, and what it left out."""

    rows: list[RunRow]
    repeated: list[Path]  # paths naming a run already selected (runs/a and ./runs/a)
    unfinished: list[Path]  # run directories without summary.json (killed or still running)


def select_runs(paths: list[Path]) -> RunSelection:
    """The finished runs among `paths`, each counted once however it is spelt; unfinished run directories are set
    aside (a report of ``runs/*`` while some still run), anything that is no run is an error."""
    rows, repeated, unfinished, seen = [], [], [], set()
    for path in paths:
        key = Path(path).resolve()
        if key in seen:
            repeated.append(Path(path))
            continue
        seen.add(key)
        if (Path(path) / "config.json").is_file() and not (Path(path) / "summary.json").exists():
            unfinished.append(Path(path))
            continue
        rows.append(read_run(path))
    return RunSelection(rows, repeated, unfinished)


# Student's t quantile t_{0.975, df} for df = 1..30; past 30 the normal 1.96 is within 2 %.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def mean_ci(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95 % confidence interval (Student's t; 0 for a single value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    return mean, t * math.sqrt(variance / n)


@dataclass
class GroupRow:
    setup: str
    learner: str
    settings: str
    runs: int
    scores: dict[str, tuple[float, float]]  # column -> (mean, 95 % CI half-width)
    wall_seconds: float
    curve: dict[int, float]  # samples -> mean over runs (eval points every run of the group has)
    forgetting: dict[str, float]  # segment -> mean over runs, NaN where no run could forget it

    @property
    def label(self) -> str:
        return f"{self.learner} ({self.setup}, {self.settings})"


def group(rows: list[RunRow]) -> list[GroupRow]:
    """Mean ± 95 % CI per (setup, learner, settings) over orders and seeds, in the order groups first appear."""
    groups: dict[tuple[str, str, str], list[RunRow]] = defaultdict(list)
    for row in rows:
        groups[(row.setup, row.learner, row.settings)].append(row)
    return [GroupRow(setup, learner, settings, len(members),
                     {c: mean_ci([m.scores[c] for m in members]) for c in columns(members)
                      if all(c in m.scores for m in members)},
                     sum(m.wall_seconds for m in members) / len(members), _mean_curve(members),
                     _mean_forgetting(members))
            for (setup, learner, settings), members in groups.items()]


def _mean_curve(members: list[RunRow]) -> dict[int, float]:
    points = sorted(set.intersection(*(set(m.curve) for m in members)))
    return {n: sum(m.curve[n] for m in members) / len(members) for n in points}


def _mean_forgetting(members: list[RunRow]) -> dict[str, float]:
    segments = dict.fromkeys(s for m in members for s in m.forgetting)
    out = {}
    for segment in segments:
        values = [m.forgetting[segment] for m in members if not math.isnan(m.forgetting.get(segment, math.nan))]
        out[segment] = sum(values) / len(values) if values else math.nan
    return out


def fmt(mean: float, ci: float, runs: int) -> str:
    return f"{mean:.1f}" if runs < 2 else f"{mean:.1f} ± {ci:.1f}"


@dataclass
class PairedRow:
    """Learner `a` minus learner `b` on the runs both made with the same setup, settings, order and seed."""

    setup: str
    settings: str
    a: str
    b: str
    pairs: int
    differences: dict[str, tuple[float, float]]  # column -> (mean difference, 95 % CI half-width)

    def within_noise(self, column: str) -> bool:
        """The interval contains 0 (or there is a single pair, so no interval): no difference shown."""
        mean, ci = self.differences[column]
        return self.pairs < 2 or abs(mean) <= ci


PAIRED_COLUMNS = ("SR A_last", "SR LA", "SR F", "SR BWT")


def paired(rows: list[RunRow]) -> list[PairedRow]:
    """Every two learners of a (setup, settings), over the (order, seed) pairs both ran."""
    runs: dict[tuple[str, str], dict[str, dict[tuple[int, int], RunRow]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        runs[(row.setup, row.settings)][row.learner][(row.order, row.seed)] = row
    out = []
    for (setup, settings), by_learner in runs.items():
        learners = list(by_learner)
        for i, a in enumerate(learners):
            for b in learners[i + 1:]:
                keys = sorted(set(by_learner[a]) & set(by_learner[b]))
                names = [c for c in PAIRED_COLUMNS
                         if keys and all(c in by_learner[x][k].scores for x in (a, b) for k in keys)]
                if names:
                    out.append(PairedRow(setup, settings, a, b, len(keys), {
                        c: mean_ci([by_learner[a][k].scores[c] - by_learner[b][k].scores[c] for k in keys])
                        for c in names}))
    return out


def paired_cell(row: PairedRow, column: str) -> str:
    """'+12.3 ± 4.0', with '(noise)' when the interval contains 0."""
    if column not in row.differences:
        return "—"
    mean, ci = row.differences[column]
    text = f"{mean:+.1f}" if row.pairs < 2 else f"{mean:+.1f} ± {ci:.1f}"
    return f"{text} (noise)" if row.within_noise(column) else text


def paired_markdown(rows: list[PairedRow]) -> str:
    header = ["setup", "settings", "a − b", "pairs", *PAIRED_COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join([r.setup, r.settings, f"{r.a} − {r.b}", str(r.pairs),
                                         *(paired_cell(r, c) for c in PAIRED_COLUMNS)]) + " |")
    return "\n".join(lines) + "\n"


def markdown(groups: list[GroupRow]) -> str:
    names = columns(groups)
    header = ["setup", "learner", "settings", "runs", *names, "wall s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        cells = [g.setup, g.learner, g.settings, str(g.runs), *(cell(g, c) for c in names), f"{g.wall_seconds:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def runs_csv(rows: list[RunRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    names = columns(rows)
    writer.writerow(["path", "setup", "learner", "settings", "order", "seed", *names, "wall_seconds", "memory_bytes",
                     "train_flops", "eval_flops"])
    for r in rows:
        scores = (f"{r.scores[c]:.4f}" if c in r.scores else "" for c in names)
        writer.writerow([str(r.path), r.setup, r.learner, r.settings, r.order, r.seed, *scores, r.wall_seconds,
                         r.memory_bytes, r.train_flops, r.eval_flops])
    return out.getvalue()


def write_report(rows: list[RunRow], out: Path) -> list[GroupRow]:
    """report.md (grouped), runs.csv (one line per run) and plots into `out`: comparison bars, mean seen SR over
    the stream, a heatmap of forgetting per segment, and each run's A_last against its training FLOPs (for runs
    that counted them)."""
    from .plots import plot_against_compute, plot_comparison, plot_forgetting, plot_over_stream

    groups = group(rows)
    out = Path(out)
    text = ("# clsim report\n\nMean ± 95 % confidence interval (Student's t) over each group's seeds and orders.\n\n"
            + markdown(groups))
    pairs = paired(rows)
    if pairs:
        text += ("\n## Paired differences\n\nLearner a minus learner b on the runs both made with the same seed and "
                 "order, mean ± 95 % CI; '(noise)' marks an interval that contains 0.\n\n" + paired_markdown(pairs))
    atomic_write_bytes(out / "report.md", text.encode())
    atomic_write_bytes(out / "runs.csv", runs_csv(rows).encode())
    bars = [c for c in ("SR A_last", "SR A_AUC", "SR LA", "SR F") if all(c in g.scores for g in groups)]
    plot_comparison(out / "comparison.png", [f"{g.learner}\n{g.setup}\n{g.settings}" for g in groups],
                    {c: [g.scores[c] for g in groups] for c in bars})
    plot_over_stream(out / "sr_over_stream.png", {g.label: g.curve for g in groups})
    segments = list(dict.fromkeys(s for g in groups for s in g.forgetting))
    plot_forgetting(out / "forgetting.png", [g.label for g in groups], segments,
                    [[g.forgetting.get(s, math.nan) for s in segments] for g in groups])
    counted = [r for r in rows if r.train_flops and "SR A_last" in r.scores]
    if counted:
        points: dict[str, list[tuple[float, float]]] = {}
        for r in counted:
            points.setdefault(f"{r.learner} ({r.setup})", []).append((r.train_flops, r.scores["SR A_last"]))
        plot_against_compute(out / "a_last_vs_train_flops.png", points)
    return groups
