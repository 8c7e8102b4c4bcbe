"""clsim eval and clsim report: score finished runs again, and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..eval.report import select_runs, write_report
from ..reevaluate import evaluate_run
from .common import (
    console,
    errors,
    reported,
)
from .tables import (
    final_weights_table,
    print_report,
    print_table,
)


def eval_(
    run: Annotated[Path, typer.Argument(help="A finished run directory.")],
    episodes: Annotated[int, typer.Option(help="Tasks per segment and split (the run's own suites are smaller).")]
        = 50,
    max_steps: Annotated[int | None, typer.Option(help="Step limit per episode (default: the run's).")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing eval-<episodes>.json.")] = False,
) -> None:
    """Score a finished run's final weights on larger eval suites; writes RUN/eval-<episodes>.json."""
    with reported(run / f"eval-{episodes}.json"):  # written atomically: the run's own files are untouched
        result = evaluate_run(run, episodes, max_steps, force)
    print_table(console, final_weights_table(result, f"Final weights of {run}, {episodes} tasks per suite (%)"))
    console.print(f"wrote [bold]{run / f'eval-{episodes}.json'}[/]")




def report(
    runs: Annotated[list[Path], typer.Argument(help="Finished run directories to compare.")],
    out: Annotated[Path, typer.Option(help="Where to write report.md, runs.csv and the plots.")]
        = Path("report"),
) -> None:
    """Compare runs: mean ± 95 % CI per setup and learner over seeds and orders, and paired differences."""
    with reported(f"the report to {out}"):
        selection = select_runs(runs)
        for path in selection.repeated:
            errors.print(f"[yellow]warning:[/] {path} names a run given before; it is counted once")
        for path in selection.unfinished:
            errors.print(f"[yellow]warning:[/] {path} is unfinished (no summary.json); left out of the report")
        rows = selection.rows
        if not rows:
            raise ValueError("no finished run to report")
        groups = write_report(rows, out)
    print_report(console, rows, groups)
    console.print(f"{len(rows)} run(s); wrote [bold]{out}[/] (report.md, runs.csv, comparison.png, "
                  "sr_over_stream.png, forgetting.png)")
