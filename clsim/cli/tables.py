"""Rich tables of a run's summary: per segment, then the stream metrics."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..eval.report import PAIRED_COLUMNS, GroupRow, PairedRow, RunRow, cell, columns, paired, paired_cell


def print_table(console: Console, table: Table) -> None:
    """Print `table` whole. Rich assumes 80 columns when writing to a file or pipe and would cut
    numbers to '…' there, so a log gets the width the table needs; a terminal keeps its own."""
    width = console.width
    if not console.is_terminal:
        width = max(width, console.measure(table, options=console.options.update_width(10_000)).maximum)
    saved, console.width = console.width, width
    try:
        console.print(table)
    finally:
        console.width = saved


def _pct(value: float | None) -> str:
    return "—" if value is None or value != value else f"{100 * value:.1f}"  # NaN (None in JSON) -> dash


def segment_table(summary: dict[str, Any], title: str) -> Table:
    """Final success and forgetting per segment (task type or scene type)."""
    table = Table(title=title, title_justify="left")
    table.add_column("segment", no_wrap=True)
    for column in ("SR seen", "SR unseen", "GC seen", "GC unseen", "F (SR seen)"):
        table.add_column(column, justify="right")
    final, forgetting = summary["final"], summary["metrics"]["seen/sr"]["forgetting_per_segment"]
    for j, segment in enumerate(summary["segments"]):
        table.add_row(segment, *(_pct(final[k][segment]) for k in ("seen/sr", "unseen/sr", "seen/gc", "unseen/gc")),
                      _pct(forgetting[j]))
    return table


def metrics_table(summary: dict[str, Any], world_scores: tuple[str, ...] = ()) -> Table:
    """A_last, A_avg, A_AUC, learning accuracy, forgetting, BWT and FWT of SR and GC on seen and unseen scenes, and
    of the `world_scores` the run's world declares (navigation: SPL, nDTW)."""
    table = Table(title="Stream metrics (%)", title_justify="left", caption_justify="left",
                  caption="LA: each segment's score at its own end. F: forgetting, its drop from its best since. "
                          "F is bounded by what was learned: read it beside LA.")
    table.add_column("score", no_wrap=True)
    for column in ("A_last", "A_avg", "A_AUC", "LA", "F", "BWT", "FWT", "random"):
        table.add_column(column, justify="right")
    baseline = summary.get("random_baseline", {})
    own = [f"{split}/{score}" for score in world_scores for split in ("seen", "unseen")
           if f"{split}/{score}" in summary["metrics"]]
    for key in ("seen/sr", "unseen/sr", "seen/gc", "unseen/gc", "seen/plw_sr", "unseen/plw_sr", *own):
        m = summary["metrics"][key]
        split, score = key.split("/")
        stats = ("a_last", "a_avg", "a_auc", "learning_accuracy", "forgetting", "bwt", "fwt")
        table.add_row(key, *(_pct(m.get(k, float("nan"))) for k in stats),
                      _pct(baseline.get(split, {}).get(score, float("nan"))))
    return table


def visits_table(summary: dict[str, Any], key: str = "seen/sr") -> Table | None:
    """Per visit of a stream whose segments recur: the score when it began, at its end, and what was lost before the
    segment returned (or by the stream's end); None for a stream without recurrences."""
    if "visits" not in summary:
        return None
    m = summary["metrics"][key]
    table = Table(title=f"Visits ({key}, %)", title_justify="left", caption_justify="left",
                  caption=f"At return: {_pct(m['retained_at_return'])} kept, {_pct(m['relearned'])} relearned; "
                          f"isolated forgetting {_pct(m['isolated_forgetting'])}.")
    for column in ("segment", "visit", "samples", "before", "learned", "forgotten"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for v in summary["visits"]:
        s = v[key]
        table.add_row(v["label"], str(v["visit"]), f"{v['start']}-{v['end']}",
                      *(_pct(s[k]) for k in ("before", "learned", "forgotten")))
    return table


def skills_table(summary: dict[str, Any], split: str = "seen") -> Table | None:
    """Per skill (the goal conditions it tests, over the segments seen so far): its best success before the end,
    its final one and what was forgotten; None for a world that names no skills."""
    skills = summary.get("skills", {}).get(split)
    if not skills:
        return None
    table = Table(title=f"Skills ({split} scenes, % of their goal conditions met)", title_justify="left")
    for column in ("skill", "best before the end", "final", "forgotten"):
        table.add_column(column, justify="left" if column == "skill" else "right")
    for skill, s in skills.items():
        table.add_row(skill, *(_pct(s[k]) for k in ("best", "final", "forgetting")))
    return table


def print_run_results(console: Console, summary: dict[str, Any], unit: str, world_scores: tuple[str, ...]) -> None:
    """A finished run's tables: final scores per segment (`unit`: task type, scene type...), the stream
    metrics, and each recurring segment's visits."""
    print_table(console, segment_table(summary, f"Final scores per {unit} (%)"))
    print_table(console, metrics_table(summary, world_scores))
    for table in (visits_table(summary), skills_table(summary)):
        if table is not None:
            print_table(console, table)


def report_table(groups: list[GroupRow]) -> Table:
    """Runs grouped by setup and learner, mean ± 95 % CI of each stream metric (%). A setup or settings
    column shared by every group goes into the title, leaving the terminal's width to the numbers."""
    shared = {key: getattr(groups[0], key) for key in ("setup", "settings")
              if groups and len({getattr(g, key) for g in groups}) == 1}
    context = "".join(f"; {key} {value}" for key, value in shared.items())
    table = Table(title=f"Learner comparison (%; mean ± 95 % CI over runs{context})", title_justify="left")
    keys = [key for key in ("setup", "learner", "settings") if key not in shared]
    names = columns(groups)
    for column in (*keys, "runs", *names, "wall s"):
        table.add_column(column, justify="left" if column in keys else "right")
    for g in groups:
        table.add_row(*(getattr(g, key) for key in keys), str(g.runs), *(cell(g, c) for c in names),
                      f"{g.wall_seconds:.0f}")
    return table


def paired_table(rows: list[PairedRow]) -> Table:
    """Learner a minus learner b over the seeds and orders both ran, mean ± 95 % CI (%)."""
    table = Table(title="Paired differences (%; a − b on the same seed and order, mean ± 95 % CI; "
                        "(noise): the interval contains 0)", title_justify="left")
    for column in ("setup", "settings", "a − b", "pairs", *PAIRED_COLUMNS):
        table.add_column(column, justify="left" if column in ("setup", "settings", "a − b") else "right")
    for r in rows:
        table.add_row(r.setup, r.settings, f"{r.a} − {r.b}", str(r.pairs), *(paired_cell(r, c) for c in PAIRED_COLUMNS))
    return table


def print_report(console: Console, rows: list[RunRow], groups: list[GroupRow]) -> None:
    """The learner comparison, then the paired differences where learners share seeds and orders."""
    print_table(console, report_table(groups))
    pairs = paired(rows)
    if pairs:
        print_table(console, paired_table(pairs))


def final_weights_table(result: dict[str, Any], title: str) -> Table:
    """`clsim eval`'s scores of a run's final weights per segment, and their mean."""
    table = Table(title=title, title_justify="left")
    for column in ("segment", "SR seen", "SR unseen", "GC seen", "GC unseen", "PLW-SR seen"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for segment, d in result["segments"].items():
        table.add_row(segment, *(f"{100 * d[split][k]:.1f}" for split, k in
                                 (("seen", "sr"), ("unseen", "sr"), ("seen", "gc"), ("unseen", "gc"), ("seen", "plw_sr"))))
    m = result["mean"]
    table.add_row("mean", *(f"{100 * m[k]:.1f}" for k in ("seen/sr", "unseen/sr", "seen/gc", "unseen/gc", "seen/plw_sr")),
                  style="bold")
    return table


def rounds_table() -> Table:
    """`clsim feedback`'s table, one row per round (filled by `add_round` as the rounds end)."""
    table = Table(title="Success per round (held-out tasks of the arrived segments, %)", title_justify="left")
    for column in ("round", "segments", "SR", "deployed SR", "feedback", "positive", "cancelled"):
        table.add_column(column, justify="right")
    return table


def add_round(table: Table, record: dict[str, Any]) -> None:
    """One feedback round's row: greedy SR on held-out tasks, sampled SR while deployed, feedback counts."""
    deployed = record.get("deployed_success")
    table.add_row(str(record["round"]), str(len(record["segments"])), f"{100 * record['success']:.1f}",
                  "-" if deployed is None else f"{100 * deployed:.1f}",
                  *(f"{record[k]:.0f}" if k in record else "-" for k in ("feedback", "positive", "cancelled")))
