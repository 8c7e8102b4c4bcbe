"""clsim benchmark: every (learner, order, seed) here or on Ray, then one report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..benchmark import Job, JobResult, make_executor, parse_numbers, plan
from ..eval.report import read_run, write_report
from ..experiment import RunConfig
from ..learners import LearnerConfig
from .common import (
    AgentOption,
    AgentOptionOption,
    BaselineOption,
    BlurryOption,
    BudgetOption,
    CheckpointEveryOption,
    EvalEpisodesOption,
    EvalEveryOption,
    LearnerOptionOption,
    MaxStepsOption,
    MemorySizeOption,
    OnlineIterOption,
    PerSegmentOption,
    SetupOption,
    SetupWorldOption,
    ThreadsHelp,
    console,
    errors,
    fail,
    learner_options,
    reported,
    run_config,
)
from .tables import (
    print_report,
)

LearnersOption = Annotated[str, typer.Option(help="Comma-separated learners (names or plug-ins).")]
OrdersOption = Annotated[str, typer.Option(help="Orders as ranges or lists: 1-5, 1,3 or 1-3,7.")]
SeedsOption = Annotated[str, typer.Option(help="Seeds as ranges or lists: 0, 0-2.")]
ExecutorOption = Annotated[str, typer.Option(help="local (one run after another, here) or ray (each run a Ray task, "
                                                  "in parallel).")]
AddressOption = Annotated[str | None, typer.Option(help="Ray cluster address (default: start Ray on this machine).")]
RunThreadsOption = Annotated[int, typer.Option(help="CPU threads (and Ray CPUs) per run; fixed, so numbers do not "
                                                    f"depend on where a run ran{ThreadsHelp}.")]
SweepOutOption = Annotated[Path, typer.Option(help="Sweep directory: runs/ and report/ go here; running the same "
                                                   "sweep again keeps finished runs and resumes unfinished ones.")]


def benchmark(
    learners: LearnersOption = "finetune,er,der++,cama",
    setup: SetupOption = "behavior-il",
    orders: OrdersOption = "1-3",
    seeds: SeedsOption = "0",
    executor: ExecutorOption = "local",
    address: AddressOption = None,
    threads: RunThreadsOption = 1,
    out: SweepOutOption = Path("benchmark"),
    agent: AgentOption = "lm",
    blurry: BlurryOption = None,
    world: SetupWorldOption = None,
    per_segment: PerSegmentOption = RunConfig.per_segment,
    eval_every: EvalEveryOption = RunConfig.eval_every,
    eval_episodes: EvalEpisodesOption = RunConfig.eval_episodes,
    max_steps: MaxStepsOption = RunConfig.max_steps,
    online_iter: OnlineIterOption = LearnerConfig.online_iter,
    memory_size: MemorySizeOption = LearnerConfig.memory_size,
    budget: BudgetOption = LearnerConfig.flops_per_sample,
    learner_option: LearnerOptionOption = None,
    agent_option: AgentOptionOption = None,
    baseline: BaselineOption = True,
    checkpoint_every: CheckpointEveryOption = RunConfig.checkpoint_every,
) -> None:
    """Run every (learner, order, seed), here or on Ray, then write one report comparing them."""
    with reported():
        names = learner_list(learners)
        options = learner_options(learner_option, names, online_iter=online_iter, memory_size=memory_size,
                                  flops_per_sample=budget)
        base = run_config(world=world, setup=setup, learner=names[0], agent=agent, order=1, seed=0, blurry=blurry,
                          per_segment=per_segment, eval_every=eval_every, eval_episodes=eval_episodes,
                          max_steps=max_steps, options=options, baseline=baseline, checkpoint_every=checkpoint_every,
                          agent_option=agent_option, threads=threads)
        jobs = plan(base, names, parse_numbers(orders, "orders"), parse_numbers(seeds, "seeds"), out / "runs",
                    options)
        runner = make_executor(executor, address)
    console.print(f"[bold]clsim benchmark[/] {len(jobs)} runs ({len(names)} learners x orders {orders} x seeds "
                  f"{seeds}) on {executor}, {threads} thread(s) each -> {out}")
    _conclude(_run_jobs(runner, jobs), out / "report")


def learner_list(learners: str) -> list[str]:
    """The learners of --learners, in order; each named once."""
    names = [name.strip() for name in learners.split(",") if name.strip()]
    if not names:
        raise ValueError("--learners names no learner")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"--learners names {', '.join(twice)} more than once; each learner runs once per order "
                         "and seed")
    return names


def _run_jobs(runner: Any, jobs: list[Job]) -> list[JobResult]:
    """Every job through `runner`, a line per finished run under a progress bar."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not sys.stdout.isatty()) as progress:
        bar = progress.add_task("benchmark", total=len(jobs))

        def on_done(result: JobResult) -> None:
            progress.advance(bar)
            style = "red" if result.status == "failed" else "green"
            progress.console.print(f"  [{style}]{result.status:8s}[/] {result.job.name}"
                                   + (f": {result.error.splitlines()[0]}" if result.error else ""))

        return runner.map(jobs, on_done)


def _conclude(results: list[JobResult], directory: Path) -> None:
    """The report of the runs that finished, then exit 1 naming the runs that failed, if any."""
    _report(results, directory)
    _exit_if_failed(results)


def _report(results: list[JobResult], directory: Path) -> None:
    """One report over the runs that finished (none: no report)."""
    finished = [r.job.out for r in results if r.status != "failed"]
    if not finished:
        return
    try:
        rows = [read_run(path) for path in finished]
        groups = write_report(rows, directory)
    except (ValueError, OSError) as error:
        fail(f"cannot write the report: {error}")
    print_report(console, rows, groups)
    console.print(f"wrote [bold]{directory}[/] (report.md, runs.csv, plots) from {len(finished)} run(s)")


def _exit_if_failed(results: list[JobResult]) -> None:
    failed = [r for r in results if r.status == "failed"]
    if failed:
        for result in failed:
            errors.print(f"[bold red]failed:[/] {escape(str(result.job.out))}\n{escape(result.error or '')}")
        errors.print(f"{len(failed)} of {len(results)} runs failed; run the same command again to retry them "
                     "(finished runs are kept)")
        raise typer.Exit(code=1)
