"""clsim train and clsim stream: learn online from a stream, or write one to a file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..envs import get_family
from ..eval.logs import check_loggers
from ..eval.rundir import RunDirectory, unused_path
from ..experiment import RunConfig, resume_experiment, resume_plan, run_experiment
from ..learners import LearnerConfig, learner_names
from ..streams.stream import write_jsonl
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
    learner_options,
    reported,
    run_config,
)
from .progress import RunRemainingColumn
from .tables import print_run_results

LearnerChoice = Annotated[str, typer.Option(help=f"Learner: {', '.join(learner_names())}, or a plug-in "
                                           "(package.module:Class or a clsim.learners entry point).")]
OrderOption = Annotated[int, typer.Option(help="Segment order: 1-5 CL-ALFRED's own (navigation: clsim's five), 6 and "
                                               "up seeded random permutations.")]
StreamFileOption = Annotated[Path | None, typer.Option(help="Learn from this JSONL stream (see clsim "
                                                       "stream) instead of generating one; eval suites still come "
                                                       "from the seed.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the stream, the model and the learner.")]
RunOutOption = Annotated[Path | None, typer.Option(help="Run directory (default: runs/<setup>-<learner>-o<order>-"
                                                       "s<seed>, numbered if taken).")]
ThreadsOption = Annotated[int | None, typer.Option(help="CPU threads of torch (default: torch's default on this "
                                                        f"machine){ThreadsHelp}.")]
DeviceOption = Annotated[str, typer.Option(help="Where the agent's tensors live: cpu, cuda, cuda:N or mps.")]
DtypeOption = Annotated[str, typer.Option(help="The agent's floating-point type: float32, float64, bfloat16 or "
                                                "float16.")]
LogOption = Annotated[list[str] | None, typer.Option(
    "--log", help="Also write the curves for this logger (repeatable): tensorboard (logs/tensorboard). "
                  "CSV files are always written.")]
ResumeOption = Annotated[Path | None, typer.Option(help="Continue this unfinished run from its latest checkpoint, "
                                                        "with its own settings (the options above are ignored).")]
Learn = Callable[..., dict[str, Any]]


def train(
    setup: SetupOption = "behavior-il",
    learner: LearnerChoice = "cama",
    agent: AgentOption = "lm",
    order: OrderOption = 1,
    blurry: BlurryOption = None,
    stream: StreamFileOption = None,
    seed: SeedOption = 0,
    world: SetupWorldOption = None,
    out: RunOutOption = None,
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
    threads: ThreadsOption = None,
    device: DeviceOption = RunConfig.device,
    dtype: DtypeOption = RunConfig.dtype,
    log: LogOption = None,
    resume: ResumeOption = None,
) -> None:
    """Learn online from a task-free stream, evaluating as it goes; writes a run directory."""
    loggers = tuple(log or ())
    with reported():
        check_loggers(loggers)
        config, start, target, learn = _resumed(resume) if resume is not None else _fresh(out, run_config(
            world=world, setup=setup, learner=learner, agent=agent, order=order, seed=seed, blurry=blurry,
            stream=stream, per_segment=per_segment, eval_every=eval_every, eval_episodes=eval_episodes,
            max_steps=max_steps, baseline=baseline, checkpoint_every=checkpoint_every, agent_option=agent_option,
            threads=threads, device=device, dtype=dtype,
            options=learner_options(learner_option, [learner], online_iter=online_iter, memory_size=memory_size,
                                    flops_per_sample=budget)))
    summary = _learn_with_progress(config, target, start, partial(learn, loggers=loggers), resumed=resume is not None)
    _print_outcome(config, target, summary)


def _print_outcome(config: RunConfig, target: Path, summary: dict[str, Any]) -> None:
    """The run's tables, then what it cost and where its files are."""
    print_run_results(console, summary, config.get_setup().unit,
                      tuple(getattr(get_family(config.world), "table_scores", ())))
    cost = summary["cost"]
    updates = f"{cost['updates']} updates" if cost["updates"] is not None else "learning"
    console.print(f"{updates} in {cost['wall_seconds']:.0f}s; results in [bold]{target}[/] "
                  "(config.json, metrics.jsonl, summary.json, checkpoints/, plots/)")


def _fresh(out: Path | None, config: RunConfig) -> tuple[RunConfig, int, Path, Learn]:
    """A new run of `config`: into `out`, or the first free runs/<run name>."""
    target = out if out is not None else unused_path(Path("runs") / config.run_name())
    RunDirectory.check_new(target)
    return config, 0, target, partial(run_experiment, config, target)


def _resumed(path: Path) -> tuple[RunConfig, int, Path, Learn]:
    """The unfinished run at `path`, from the samples it has already learned."""
    config, start = resume_plan(path)
    return config, start, path, partial(resume_experiment, path)


def _learn_with_progress(config: RunConfig, target: Path, start: int, learn: Learn, resumed: bool
                         ) -> dict[str, Any]:
    """Run `learn` under a progress bar (plain lines when the output is no terminal); its summary."""
    total = config.stream_length()
    verb = f"resuming at sample {start}:" if resumed else ""
    console.print(f"[bold]clsim train[/] {verb} {config.setup} order {config.order}, learner {config.learner}, "
                  f"agent {config.agent}, seed {config.seed} -> {target}")
    suites = 2 * config.eval_episodes * len(config.get_setup().segments(get_family(config.world), config.order))
    console.print(f"  preparing {total} samples and {suites} eval tasks (the first sample waits for them)")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("samples"),
               TimeElapsedColumn(), RunRemainingColumn())
    with Progress(*columns, console=console, transient=False, disable=not sys.stdout.isatty()) as progress:
        # Building the stream and the eval suites comes first; it takes a while for long streams.
        bar = progress.add_task(f"preparing {total} samples", total=total, completed=start, start=start)

        def on_eval(record: dict) -> None:
            seen = [v["seen"]["sr"] for v in record["scores"].values()]
            mean = 100 * sum(seen) / len(seen)
            progress.update(bar, description=f"learning (SR seen {mean:4.1f}%)")
            if not sys.stdout.isatty():
                console.print(f"  eval at {record['samples']:4d} samples: SR seen {mean:5.1f}% "
                              f"over {len(seen)} segment(s)")

        def on_sample(n: int) -> None:
            if n == start + 1:
                progress.update(bar, description="learning")
            progress.update(bar, completed=n)

        with reported(f"to {target}", then=". The files written so far are intact (each is written atomically); "
                      f"free the space and continue with: clsim train --resume {target}"):
            return learn(on_sample=on_sample, on_eval=on_eval)


def stream_(
    out: Annotated[Path, typer.Option(help="The JSONL file to write.")],
    setup: SetupOption = "behavior-il",
    order: Annotated[int, typer.Option(help="Segment order (1-5 CL-ALFRED's, 6+ seeded).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the stream.")] = 0,
    world: SetupWorldOption = None,
    per_segment: PerSegmentOption = RunConfig.per_segment,
    blurry: BlurryOption = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
) -> None:
    """Write a stream as JSONL (one sample per line: its segment and task) to inspect, edit or share."""
    with reported(out):
        if out.exists() and not force:
            raise ValueError(f"{out} exists; pass --force to replace it, or choose another --out")
        config = RunConfig(world=world, setup=setup, order=order, seed=seed, per_segment=per_segment, blurry=blurry)
        config.validate()
        samples = config.stream()
        write_jsonl(samples, out)
    console.print(f"wrote {len(samples)} samples in {len(samples.segments)} segments to [bold]{out}[/]; "
                  f"train on it with: clsim train --setup {setup}"
                  f"{'' if world is None else f' --world {config.world}'} --stream {out}")
