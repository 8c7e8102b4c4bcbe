"""clsim train and clsim stream: learn online from a stream, or write one to a file."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..envs import get_family
from ..eval.rundir import RunDirectory, unused_path
from ..experiment import RunConfig, resume_experiment, resume_plan, run_experiment
from ..learners import LearnerConfig, learner_names
from ..streams.stream import write_jsonl
from .common import (
    AgentOption,
    AgentOptionOption,
    BaselineOption,
    BlurryOption,
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
from .tables import (
    metrics_table,
    print_table,
    segment_table,
    visits_table,
)


def train(
    setup: SetupOption = "behavior-il",
    learner: Annotated[str, typer.Option(help=f"Learner: {', '.join(learner_names())}, or a plug-in "
                                              "(package.module:Class or a clsim.learners entry point).")] = "cama",
    agent: AgentOption = "lm",
    order: Annotated[int, typer.Option(help="Segment order: 1-5 CL-ALFRED's own (navigation: clsim's five), 6 and up "
                                            "seeded random permutations.")] = 1,
    blurry: BlurryOption = None,
    stream: Annotated[Path | None, typer.Option(help="Learn from this JSONL stream (see clsim stream) instead of "
                                                     "generating one; eval suites still come from the seed.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the stream, the model and the learner.")] = 0,
    world: SetupWorldOption = None,
    out: Annotated[Path | None, typer.Option(help="Run directory (default: runs/<setup>-<learner>-o<order>-s<seed>, "
                                                  "numbered if taken).")] = None,
    per_segment: PerSegmentOption = RunConfig.per_segment,
    eval_every: EvalEveryOption = RunConfig.eval_every,
    eval_episodes: EvalEpisodesOption = RunConfig.eval_episodes,
    max_steps: MaxStepsOption = RunConfig.max_steps,
    online_iter: OnlineIterOption = LearnerConfig.online_iter,
    memory_size: MemorySizeOption = LearnerConfig.memory_size,
    learner_option: LearnerOptionOption = None,
    agent_option: AgentOptionOption = None,
    baseline: BaselineOption = True,
    checkpoint_every: CheckpointEveryOption = RunConfig.checkpoint_every,
    threads: Annotated[int | None, typer.Option(help="CPU threads of torch (default: torch's default on this "
                                                     f"machine){ThreadsHelp}.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue this unfinished run from its latest checkpoint, "
                                                     "with its own settings (the options above are ignored).")]
        = None,
) -> None:
    """Learn online from a task-free stream, evaluating as it goes; writes a run directory."""
    with reported():
        if resume is not None:
            target = resume
            config, start = resume_plan(resume)
            learn = partial(resume_experiment, target)
        else:
            config = run_config(world=world, setup=setup, learner=learner, agent=agent, order=order, seed=seed,
                                blurry=blurry, stream=stream, per_segment=per_segment, eval_every=eval_every,
                                eval_episodes=eval_episodes, max_steps=max_steps, baseline=baseline,
                                options=learner_options(learner_option, [learner], online_iter=online_iter,
                                                        memory_size=memory_size),
                                checkpoint_every=checkpoint_every, agent_option=agent_option, threads=threads)
            target = out if out is not None else unused_path(Path("runs") / config.run_name())
            RunDirectory.check_new(target)
            start = 0
            learn = partial(run_experiment, config, target)
    total = config.stream_length()
    verb = f"resuming at sample {start}:" if resume is not None else ""
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
            summary = learn(on_sample=on_sample, on_eval=on_eval)
    print_table(console, segment_table(summary, f"Final scores per {config.get_setup().unit} (%)"))
    print_table(console, metrics_table(summary, tuple(getattr(get_family(config.world), "table_scores", ()))))
    visits = visits_table(summary)
    if visits is not None:
        print_table(console, visits)
    cost = summary["cost"]
    updates = f"{cost['updates']} updates" if cost["updates"] is not None else "learning"
    console.print(f"{updates} in {cost['wall_seconds']:.0f}s; results in [bold]{target}[/] "
                  "(config.json, metrics.jsonl, summary.json, checkpoints/, plots/)")




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
