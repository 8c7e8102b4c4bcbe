"""The ``clsim`` command line: train, eval, report, stream, play, list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..agents.registry import AGENTS, agent_names
from ..agents.registry import ENTRY_POINTS as AGENT_PLUGINS
from ..envs import family_names, get_family
from ..eval.report import read_run, write_report
from ..eval.rundir import RunDirectory, unused_path
from ..experiment import RunConfig, resume_experiment, resume_plan, run_experiment
from ..learners import LearnerConfig, learner_names
from ..learners.base import parse_options
from ..learners.registry import ENTRY_POINTS as LEARNER_PLUGINS
from ..learners.registry import LEARNERS
from ..plugins import plugin_entries
from ..reevaluate import evaluate_run
from ..streams import get_setup, setup_names
from ..streams.stream import write_jsonl
from .play import choose_task, play
from .tables import metrics_table, report_table, segment_table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="clsim: embodied and online continual learning.")
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


@app.command()
def train(
    setup: Annotated[str, typer.Option(help=f"Continual setup: {', '.join(setup_names())}.")] = "behavior-il",
    learner: Annotated[str, typer.Option(help=f"Learner: {', '.join(learner_names())}, or a plug-in "
                                              "(package.module:Class or a clsim.learners entry point).")] = "cama",
    agent: Annotated[str, typer.Option(help=f"Agent: {', '.join(agent_names())}, or a plug-in "
                                            "(package.module:Class or a clsim.agents entry point).")] = "lm",
    order: Annotated[int, typer.Option(help="Segment order: 1-5 canonical (1 is CL-ALFRED's), 6 and up "
                                            "seeded random permutations.")] = 1,
    blurry: Annotated[str | None, typer.Option(help="i-Blurry N-M: N% of labels stay disjoint, M% of the others' "
                                                    "samples arrive in other segments (e.g. 10-10).")] = None,
    stream: Annotated[Path | None, typer.Option(help="Learn from this JSONL stream (see clsim stream) instead of "
                                                     "generating one; eval suites still come from the seed.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the stream, the model and the learner.")] = 0,
    world: Annotated[str, typer.Option(help=f"World: {', '.join(family_names())}.")] = "household",
    out: Annotated[Path | None, typer.Option(help="Run directory (default: runs/<setup>-<learner>-o<order>-s<seed>, "
                                                  "numbered if taken).")] = None,
    per_segment: Annotated[int, typer.Option(help="Stream samples per segment.")] = RunConfig.per_segment,
    eval_every: Annotated[int, typer.Option(help="Samples between evaluations.")] = RunConfig.eval_every,
    eval_episodes: Annotated[int, typer.Option(help="Tasks per segment and split in each eval suite.")]
        = RunConfig.eval_episodes,
    max_steps: Annotated[int, typer.Option(help="Step limit of an evaluation episode.")] = RunConfig.max_steps,
    online_iter: Annotated[float, typer.Option(help="Updates per incoming sample.")] = LearnerConfig.online_iter,
    memory_size: Annotated[int, typer.Option(help="Episodic memory, in episodes.")] = LearnerConfig.memory_size,
    learner_option: Annotated[list[str] | None, typer.Option(help="Any learner setting as KEY=VALUE, repeatable "
                                                             "(e.g. distill=kl, mir_candidates=20, lr=5e-4).")]
        = None,
    baseline: Annotated[bool, typer.Option(help="Also score a random agent on the final suites.")] = True,
    checkpoint_every: Annotated[int, typer.Option(help="Samples between resumable checkpoints (0: final weights "
                                                       "only).")] = RunConfig.checkpoint_every,
    resume: Annotated[Path | None, typer.Option(help="Continue this unfinished run from its latest checkpoint, "
                                                     "with its own settings (the options above are ignored).")]
        = None,
) -> None:
    """Learn online from a task-free stream, evaluating as it goes; writes a run directory."""
    try:
        if resume is not None:
            target = resume
            config, start = resume_plan(resume)
        else:
            config = RunConfig(world=world, setup=setup, learner=learner, agent=agent, order=order, seed=seed,
                               blurry=blurry, stream_file=str(stream) if stream is not None else None,
                               per_segment=per_segment, eval_every=eval_every, eval_episodes=eval_episodes,
                               max_steps=max_steps, random_baseline=baseline, checkpoint_every=checkpoint_every,
                               learner_config=LearnerConfig(**{"online_iter": online_iter, "memory_size": memory_size,
                                                               **parse_options(learner_option or [])}))
            config.validate()
            target = out if out is not None else unused_path(
                Path("runs") / f"{setup}-{_slug(learner)}-o{order}-s{seed}")
            RunDirectory.check_new(target)
            start = 0
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
    total = len(config.stream()) if config.stream_file else \
        config.per_segment * len(get_setup(config.setup).segments(get_family(config.world), config.order))
    verb = f"resuming at sample {start}:" if resume is not None else ""
    console.print(f"[bold]clsim train[/] {verb} {config.setup} order {config.order}, learner {config.learner}, "
                  f"agent {config.agent}, seed {config.seed} -> {target}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("samples"),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False, disable=not sys.stdout.isatty()) as progress:
        bar = progress.add_task("learning", total=total, completed=start)

        def on_eval(record: dict) -> None:
            seen = [v["seen"]["sr"] for v in record["scores"].values()]
            mean = 100 * sum(seen) / len(seen)
            progress.update(bar, description=f"learning (SR seen {mean:4.1f}%)")
            if not sys.stdout.isatty():
                console.print(f"  eval at {record['samples']:4d} samples: SR seen {mean:5.1f}% "
                              f"over {len(seen)} segment(s)")

        def on_sample(n: int) -> None:
            progress.update(bar, completed=n)

        try:
            if resume is not None:
                summary = resume_experiment(target, on_sample=on_sample, on_eval=on_eval)
            else:
                summary = run_experiment(config, target, on_sample=on_sample, on_eval=on_eval)
        except ValueError as error:  # RunDirectoryError included
            fail(str(error))
        except OSError as error:  # e.g. a full disk: every file is written atomically, so what is there is whole
            fail(f"cannot write to {target}: {error.strerror or error}. The files written so far are intact; "
                 f"free the space and continue with: clsim train --resume {target}")
    axis = {"behavior": "task type", "environment": "scene type"}[get_setup(config.setup).axis]
    console.print(segment_table(summary, f"Final scores per {axis} (%)"))
    console.print(metrics_table(summary))
    cost = summary["cost"]
    updates = f"{cost['updates']} updates" if cost["updates"] is not None else "learning"
    console.print(f"{updates} in {cost['wall_seconds']:.0f}s; results in [bold]{target}[/] "
                  "(config.json, metrics.jsonl, summary.json, checkpoints/, plots/)")


@app.command("play")
def play_(
    world: Annotated[str, typer.Option(help=f"World: {', '.join(family_names())}.")] = "household",
    task_type: Annotated[str | None, typer.Option(help="Task type (default: chosen by the seed).")] = None,
    scene_type: Annotated[str | None, typer.Option(help="Scene type (default: chosen by the seed).")] = None,
    split: Annotated[str, typer.Option(help="Layouts: train, seen or unseen.")] = "train",
    seed: Annotated[int, typer.Option(help="Seed of the task.")] = 0,
    max_steps: Annotated[int, typer.Option(help="Step limit.")] = 100,
) -> None:
    """Play one task in the terminal (numbered candidates, 'hint' for the expert's next action); exit 0 if solved."""
    try:
        task = choose_task(world, task_type, scene_type, split, seed)
    except ValueError as error:
        fail(str(error))
    console.print(f"[bold]{task.behavior}[/] in {task.scene} ({task.split})")
    info = play(task, world, max_steps, lambda prompt: typer.prompt(prompt), console)
    raise typer.Exit(code=0 if info["success"] else 1)


@app.command("stream")
def stream_(
    out: Annotated[Path, typer.Option(help="The JSONL file to write.")],
    setup: Annotated[str, typer.Option(help=f"Continual setup: {', '.join(setup_names())}.")] = "behavior-il",
    order: Annotated[int, typer.Option(help="Segment order (1-5 canonical, 6+ seeded).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the stream.")] = 0,
    world: Annotated[str, typer.Option(help=f"World: {', '.join(family_names())}.")] = "household",
    per_segment: Annotated[int, typer.Option(help="Stream samples per segment.")] = RunConfig.per_segment,
    blurry: Annotated[str | None, typer.Option(help="i-Blurry N-M (e.g. 10-10).")] = None,
) -> None:
    """Write a stream as JSONL (one sample per line: its segment and task) to inspect, edit or share."""
    try:
        config = RunConfig(world=world, setup=setup, order=order, seed=seed, per_segment=per_segment, blurry=blurry)
        config.validate()
        samples = config.stream()
        write_jsonl(samples, out)
    except ValueError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror or error}")
    console.print(f"wrote {len(samples)} samples in {len(samples.segments)} segments to [bold]{out}[/]; "
                  f"train on it with: clsim train --setup {setup} --stream {out}")


@app.command("eval")
def eval_(
    run: Annotated[Path, typer.Argument(help="A finished run directory.")],
    episodes: Annotated[int, typer.Option(help="Tasks per segment and split (the run's own suites are smaller).")]
        = 50,
    max_steps: Annotated[int | None, typer.Option(help="Step limit per episode (default: the run's).")] = None,
) -> None:
    """Score a finished run's final weights on larger eval suites; writes RUN/eval-<episodes>.json."""
    try:
        result = evaluate_run(run, episodes, max_steps)
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
    table = Table(title=f"Final weights of {run}, {episodes} tasks per suite (%)", title_justify="left")
    for column in ("segment", "SR seen", "SR unseen", "GC seen", "GC unseen", "PLW-SR seen"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for segment, d in result["segments"].items():
        table.add_row(segment, *(f"{100 * d[split][k]:.1f}" for split, k in
                                 (("seen", "sr"), ("unseen", "sr"), ("seen", "gc"), ("unseen", "gc"), ("seen", "plw_sr"))))
    m = result["mean"]
    table.add_row("mean", *(f"{100 * m[k]:.1f}" for k in ("seen/sr", "unseen/sr", "seen/gc", "unseen/gc", "seen/plw_sr")),
                  style="bold")
    console.print(table)
    console.print(f"wrote [bold]{run / f'eval-{episodes}.json'}[/]")


@app.command()
def report(
    runs: Annotated[list[Path], typer.Argument(help="Finished run directories to compare.")],
    out: Annotated[Path, typer.Option(help="Where to write report.md, runs.csv and the plots.")]
        = Path("report"),
) -> None:
    """Compare runs: mean ± standard error per setup and learner over seeds and orders."""
    try:
        rows = [read_run(path) for path in runs]
        groups = write_report(rows, out)
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
    console.print(report_table(groups))
    console.print(f"{len(rows)} run(s); wrote [bold]{out}[/] (report.md, runs.csv, comparison.png, "
                  "sr_over_stream.png, forgetting.png)")


def _slug(name: str) -> str:
    """A plug-in spec as a directory-name part: ``mylab.replay:MyReplay`` -> ``MyReplay``."""
    return name.rpartition(":")[2] or name


def _summary_line(cls: type) -> str:
    """First line of a class's docstring, else of its module's."""
    doc = cls.__doc__ or sys.modules[cls.__module__].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


@app.command("list")
def list_(what: Annotated[str, typer.Argument(help="worlds, setups, learners or agents")] = "all") -> None:
    """List the registered worlds, setups, learners and agents, installed plug-ins included."""
    learner_plugins = {name: f"plug-in ({ep})" for name, ep in plugin_entries(LEARNER_PLUGINS).items()}
    agent_plugins = {name: f"plug-in ({ep})" for name, ep in plugin_entries(AGENT_PLUGINS).items()}
    catalogue = {
        "worlds": {name: get_family(name).env_id for name in family_names()},
        "setups": {name: "segments by task type" if name == "behavior-il" else "segments by scene type"
                   for name in setup_names()},
        "learners": {**{name: _summary_line(LEARNERS[name]) for name in learner_names()}, **learner_plugins},
        "agents": {**{name: _summary_line(AGENTS[name]) for name in agent_names()}, **agent_plugins},
    }
    if what != "all" and what not in catalogue:
        fail(f"cannot list {what!r}; choose one of: all, {', '.join(catalogue)}")
    for group, entries in catalogue.items():
        if what in ("all", group):
            console.print(f"[bold]{group}[/]")
            for name, text in entries.items():
                console.print(f"  {name:16s} {text}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
