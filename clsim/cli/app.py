"""The ``clsim`` command line: train, feedback, benchmark, eval, report, stream, play, list."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from ..agents.registry import AGENTS, agent_config_class, agent_names
from ..agents.registry import ENTRY_POINTS as AGENT_PLUGINS
from ..benchmark import JobResult, make_executor, parse_numbers, plan
from ..envs import family_names, get_family
from ..eval.report import read_run, select_runs, write_report
from ..eval.rundir import RunDirectory, unused_path
from ..experiment import RunConfig, resume_experiment, resume_plan, run_experiment
from ..interactive.experiment import FeedbackRunConfig, run_feedback
from ..interactive.user import FeedbackConfig
from ..learners import LearnerConfig, get_learner, learner_names, learner_settings, own_settings, settings_class
from ..learners.registry import ENTRY_POINTS as LEARNER_PLUGINS
from ..learners.registry import LEARNERS
from ..options import parse_options
from ..plugins import plugin_entries
from ..reevaluate import evaluate_run
from ..streams import get_setup, setup_names
from ..streams.stream import write_jsonl
from .play import choose_task, play
from .progress import RunRemainingColumn
from .tables import (
    add_round,
    final_weights_table,
    metrics_table,
    print_report,
    print_table,
    rounds_table,
    segment_table,
    visits_table,
)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="clsim: embodied and online continual learning.")
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


# Options shared by train, benchmark and stream: declared once so their help and defaults agree.
SetupOption = Annotated[str, typer.Option(help=f"Continual setup: {', '.join(setup_names())}, or a YAML/JSON "
                                               "setup file.")]
BlurryOption = Annotated[str | None, typer.Option(
    help="i-Blurry N-M: N% of labels stay disjoint, M% of the others' samples arrive in other segments "
         "(e.g. 10-10); si-N-M: Si-Blurry, with random period sizes too.")]
WorldOption = Annotated[str, typer.Option(help=f"World: {', '.join(family_names())}.")]
SetupWorldOption = Annotated[str | None, typer.Option(
    "--world", help=f"World: {', '.join(family_names())} (default: the setup's own, e.g. navigation for "
                    "cvln-*; else household).")]
AgentOption = Annotated[str, typer.Option(help=f"Agent: {', '.join(agent_names())}, or a plug-in "
                                               "(package.module:Class or a clsim.agents entry point).")]
PerSegmentOption = Annotated[int, typer.Option(help="Stream samples per segment.")]
EvalEveryOption = Annotated[int, typer.Option(help="Samples between evaluations.")]
EvalEpisodesOption = Annotated[int, typer.Option(help="Tasks per segment and split in each eval suite.")]
MaxStepsOption = Annotated[int, typer.Option(help="Step limit of an evaluation episode.")]
OnlineIterOption = Annotated[float, typer.Option(help="Updates per incoming sample.")]
MemorySizeOption = Annotated[int, typer.Option(help="Episodic memory, in episodes.")]
AgentOptionOption = Annotated[list[str] | None, typer.Option(
    help="Any setting of the agent's config as KEY=VALUE, repeatable (e.g. model_dir=PATH, lora_r=4, hidden=96).")]
LearnerOptionOption = Annotated[list[str] | None, typer.Option(
    help="A setting of the learner as KEY=VALUE, repeatable: the shared ones (lr, batch_size, stream_batch, "
         "online_iter, memory_size, clip_grad) and its own (clsim list learners shows them; e.g. distill=kl for esr).")]
BaselineOption = Annotated[bool, typer.Option(help="Also score a random agent on the final suites.")]
CheckpointEveryOption = Annotated[int, typer.Option(help="Samples between resumable checkpoints (0: final weights "
                                                         "only).")]
ThreadsHelp = "; the count changes the numbers, so it is recorded in config.json"


def run_config(*, world: str | None, setup: str, learner: str, agent: str, order: int, seed: int, blurry: str | None,
               per_segment: int, eval_every: int, eval_episodes: int, max_steps: int, options: dict[str, Any],
               baseline: bool, checkpoint_every: int, agent_option: list[str] | None = None,
               stream: Path | None = None, threads: int | None = None) -> RunConfig:
    """A checked RunConfig from command-line values (ValueError naming the bad one); `options` are the learner
    settings `learner_options` parsed."""
    config = RunConfig(world=world, setup=setup, learner=learner, agent=agent, order=order, seed=seed,
                       blurry=blurry, stream_file=str(stream) if stream is not None else None,
                       per_segment=per_segment, eval_every=eval_every, eval_episodes=eval_episodes,
                       max_steps=max_steps, random_baseline=baseline, checkpoint_every=checkpoint_every,
                       threads=threads,
                       learner_config=learner_settings(get_learner(learner), options),
                       agent_options=parse_options(agent_option or [], agent_config_class(agent), "agent")
                       if agent_option else {})
    config.validate()
    return config


def learner_options(learner_option: list[str] | None, learners: Sequence[str], online_iter: float,
                    memory_size: int) -> dict[str, Any]:
    """The learner settings given on the command line, checked against the settings classes of `learners` (a
    benchmark's several): an option one of them has is accepted, and each learner takes those its settings have."""
    classes = [settings_class(get_learner(name)) for name in learners]
    return {"online_iter": online_iter, "memory_size": memory_size,
            **parse_options(learner_option or [], classes, "learner " + ", ".join(learners))}


@app.command()
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
    try:
        if resume is not None:
            target = resume
            config, start = resume_plan(resume)
        else:
            config = run_config(world=world, setup=setup, learner=learner, agent=agent, order=order, seed=seed,
                                blurry=blurry, stream=stream, per_segment=per_segment, eval_every=eval_every,
                                eval_episodes=eval_episodes, max_steps=max_steps, baseline=baseline,
                                options=learner_options(learner_option, [learner], online_iter, memory_size),
                                checkpoint_every=checkpoint_every, agent_option=agent_option, threads=threads)
            target = out if out is not None else unused_path(Path("runs") / config.run_name())
            RunDirectory.check_new(target)
            start = 0
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
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
    print_table(console, segment_table(summary, f"Final scores per {config.get_setup().unit} (%)"))
    print_table(console, metrics_table(summary, tuple(getattr(get_family(config.world), "table_scores", ()))))
    visits = visits_table(summary)
    if visits is not None:
        print_table(console, visits)
    cost = summary["cost"]
    updates = f"{cost['updates']} updates" if cost["updates"] is not None else "learning"
    console.print(f"{updates} in {cost['wall_seconds']:.0f}s; results in [bold]{target}[/] "
                  "(config.json, metrics.jsonl, summary.json, checkpoints/, plots/)")


@app.command("play")
def play_(
    world: WorldOption = "household",
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
    setup: SetupOption = "behavior-il",
    order: Annotated[int, typer.Option(help="Segment order (1-5 CL-ALFRED's, 6+ seeded).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the stream.")] = 0,
    world: SetupWorldOption = None,
    per_segment: PerSegmentOption = RunConfig.per_segment,
    blurry: BlurryOption = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
) -> None:
    """Write a stream as JSONL (one sample per line: its segment and task) to inspect, edit or share."""
    try:
        if out.exists() and not force:
            raise ValueError(f"{out} exists; pass --force to replace it, or choose another --out")
        config = RunConfig(world=world, setup=setup, order=order, seed=seed, per_segment=per_segment, blurry=blurry)
        config.validate()
        samples = config.stream()
        write_jsonl(samples, out)
    except ValueError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror or error}")
    console.print(f"wrote {len(samples)} samples in {len(samples.segments)} segments to [bold]{out}[/]; "
                  f"train on it with: clsim train --setup {setup}"
                  f"{'' if world is None else f' --world {config.world}'} --stream {out}")


@app.command("eval")
def eval_(
    run: Annotated[Path, typer.Argument(help="A finished run directory.")],
    episodes: Annotated[int, typer.Option(help="Tasks per segment and split (the run's own suites are smaller).")]
        = 50,
    max_steps: Annotated[int | None, typer.Option(help="Step limit per episode (default: the run's).")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing eval-<episodes>.json.")] = False,
) -> None:
    """Score a finished run's final weights on larger eval suites; writes RUN/eval-<episodes>.json."""
    try:
        result = evaluate_run(run, episodes, max_steps, force)
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
    except OSError as error:  # eval-N.json is written atomically: the run's own files are untouched
        fail(f"cannot write {run / f'eval-{episodes}.json'}: {error.strerror or error}")
    print_table(console, final_weights_table(result, f"Final weights of {run}, {episodes} tasks per suite (%)"))
    console.print(f"wrote [bold]{run / f'eval-{episodes}.json'}[/]")


@app.command()
def report(
    runs: Annotated[list[Path], typer.Argument(help="Finished run directories to compare.")],
    out: Annotated[Path, typer.Option(help="Where to write report.md, runs.csv and the plots.")]
        = Path("report"),
) -> None:
    """Compare runs: mean ± 95 % CI per setup and learner over seeds and orders, and paired differences."""
    try:
        selection = select_runs(runs)
        for path in selection.repeated:
            errors.print(f"[yellow]warning:[/] {path} names a run given before; it is counted once")
        for path in selection.unfinished:
            errors.print(f"[yellow]warning:[/] {path} is unfinished (no summary.json); left out of the report")
        rows = selection.rows
        if not rows:
            raise ValueError("no finished run to report")
        groups = write_report(rows, out)
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
    except OSError as error:
        fail(f"cannot write the report to {out}: {error.strerror or error}")
    print_report(console, rows, groups)
    console.print(f"{len(rows)} run(s); wrote [bold]{out}[/] (report.md, runs.csv, comparison.png, "
                  "sr_over_stream.png, forgetting.png)")


@app.command()
def feedback(
    setup: SetupOption = "behavior-il",
    order: Annotated[int, typer.Option(help="Segment order: when task (or scene) types arrive.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of tasks, model, users and sampling.")] = 0,
    rounds: Annotated[int, typer.Option(help="Rounds of deployment, then update.")] = FeedbackRunConfig.rounds,
    tasks_per_round: Annotated[int, typer.Option(help="Tasks deployed per round.")]
        = FeedbackRunConfig.tasks_per_round,
    initial_segments: Annotated[int, typer.Option(help="Segments present from the start; one more arrives every "
                                                       "--arrive-every rounds.")] = FeedbackRunConfig.initial_segments,
    arrive_every: Annotated[int, typer.Option(help="Rounds between arrivals (0: none arrive).")]
        = FeedbackRunConfig.arrive_every,
    demonstrations: Annotated[int, typer.Option(help="Initial demonstrations per initial segment.")]
        = FeedbackRunConfig.demonstrations,
    initial_epochs: Annotated[int, typer.Option(help="Imitation passes over the demonstrations.")]
        = FeedbackRunConfig.initial_epochs,
    rate: Annotated[float, typer.Option(help="Probability that the user judges an action.")] = FeedbackConfig.rate,
    noise: Annotated[float, typer.Option(help="Probability that a judgement is flipped.")] = FeedbackConfig.noise,
    delay: Annotated[int, typer.Option(help="Actions before feedback arrives.")] = FeedbackConfig.delay,
    cancel_after: Annotated[int, typer.Option(help="Negatives in a row after which the user cancels (0: never).")]
        = FeedbackConfig.cancel_after,
    online: Annotated[bool, typer.Option(help="Update after every few deployed episodes (the learner's "
                                              "stream_batch) instead of once per round.")] = False,
    eval_episodes: EvalEpisodesOption = FeedbackRunConfig.eval_episodes,
    max_steps: MaxStepsOption = FeedbackRunConfig.max_steps,
    world: WorldOption = "household",
    learner: Annotated[str, typer.Option(help="A learner that learns from feedback (bandit), or a plug-in.")]
        = FeedbackRunConfig.learner,
    agent: AgentOption = FeedbackRunConfig.agent,
    learner_option: LearnerOptionOption = None,
    agent_option: AgentOptionOption = None,
    out: Annotated[Path | None, typer.Option(help="Run directory (default: runs/feedback-<setup>-o<order>-s<seed>, "
                                                  "numbered if taken).")] = None,
) -> None:
    """Learn from simulated users' thumbs up/down: rounds of deployment, then contextual-bandit updates."""
    try:
        config = FeedbackRunConfig(
            world=world, setup=setup, order=order, seed=seed, rounds=rounds, tasks_per_round=tasks_per_round,
            initial_segments=initial_segments, arrive_every=arrive_every, demonstrations=demonstrations,
            initial_epochs=initial_epochs, eval_episodes=eval_episodes, max_steps=max_steps, online=online,
            feedback=FeedbackConfig(rate=rate, noise=noise, delay=delay, cancel_after=cancel_after),
            learner=learner, agent=agent,
            learner_config=learner_settings(get_learner(learner), parse_options(
                learner_option or [], settings_class(get_learner(learner)), f"learner {learner}")),
            agent_options=parse_options(agent_option or [], agent_config_class(agent), "agent") if agent_option else {})
        config.validate()
        target = out if out is not None else unused_path(Path("runs") / f"feedback-{setup}-o{order}-s{seed}")
        RunDirectory.check_new(target)
    except ValueError as error:
        fail(str(error))
    console.print(f"[bold]clsim feedback[/] {setup} order {order}, {rounds} rounds x {tasks_per_round} tasks, "
                  f"rate {rate}, noise {noise}, delay {delay} -> {target}")
    table = rounds_table()

    def on_round(record: dict) -> None:
        console.print(f"  round {record['round']}: SR {100 * record['success']:5.1f}% on "
                      f"{len(record['segments'])} segment(s)")
        add_round(table, record)

    try:
        summary = run_feedback(config, target, on_round=on_round)
    except ValueError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write to {target}: {error.strerror or error}")
    print_table(console, table)
    m = summary["metrics"]
    console.print(f"A_last {100 * m['a_last']:.1f}%, forgetting {100 * m['forgetting']:.1f}; results in "
                  f"[bold]{target}[/] (config.json, metrics.jsonl, summary.json, plots/)")


@app.command()
def benchmark(
    learners: Annotated[str, typer.Option(help="Comma-separated learners (names or plug-ins).")]
        = "finetune,er,der++,cama",
    setup: SetupOption = "behavior-il",
    orders: Annotated[str, typer.Option(help="Orders as ranges or lists: 1-5, 1,3 or 1-3,7.")] = "1-3",
    seeds: Annotated[str, typer.Option(help="Seeds as ranges or lists: 0, 0-2.")] = "0",
    executor: Annotated[str, typer.Option(help="local (one run after another, here) or ray (each run a Ray task, "
                                               "in parallel).")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: start Ray on this "
                                                     "machine).")] = None,
    threads: Annotated[int, typer.Option(help="CPU threads (and Ray CPUs) per run; fixed, so numbers do not "
                                              f"depend on where a run ran{ThreadsHelp}.")] = 1,
    out: Annotated[Path, typer.Option(help="Sweep directory: runs/ and report/ go here; running the same sweep "
                                           "again keeps finished runs and resumes unfinished ones.")]
        = Path("benchmark"),
    agent: AgentOption = "lm",
    blurry: BlurryOption = None,
    world: SetupWorldOption = None,
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
) -> None:
    """Run every (learner, order, seed), here or on Ray, then write one report comparing them."""
    try:
        names = [name.strip() for name in learners.split(",") if name.strip()]
        if not names:
            raise ValueError("--learners names no learner")
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"--learners names {', '.join(twice)} more than once; each learner runs once per order "
                             "and seed")
        options = learner_options(learner_option, names, online_iter, memory_size)  # each takes those it has
        base = run_config(world=world, setup=setup, learner=names[0], agent=agent, order=1, seed=0, blurry=blurry,
                          per_segment=per_segment, eval_every=eval_every, eval_episodes=eval_episodes,
                          max_steps=max_steps, options=options, baseline=baseline, checkpoint_every=checkpoint_every,
                          agent_option=agent_option, threads=threads)
        jobs = plan(base, names, parse_numbers(orders, "orders"), parse_numbers(seeds, "seeds"), out / "runs",
                    options)
        runner = make_executor(executor, address)
    except ValueError as error:
        fail(str(error))
    console.print(f"[bold]clsim benchmark[/] {len(jobs)} runs ({len(names)} learners x orders {orders} x seeds "
                  f"{seeds}) on {executor}, {threads} thread(s) each -> {out}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not sys.stdout.isatty()) as progress:
        bar = progress.add_task("benchmark", total=len(jobs))

        def on_done(result: JobResult) -> None:
            progress.advance(bar)
            style = "red" if result.status == "failed" else "green"
            progress.console.print(f"  [{style}]{result.status:8s}[/] {result.job.name}"
                                   + (f": {result.error.splitlines()[0]}" if result.error else ""))

        results = runner.map(jobs, on_done)
    finished = [r.job.out for r in results if r.status != "failed"]
    if finished:
        try:
            rows = [read_run(path) for path in finished]
            groups = write_report(rows, out / "report")
        except (ValueError, OSError) as error:
            fail(f"cannot write the report: {error}")
        print_report(console, rows, groups)
        console.print(f"wrote [bold]{out / 'report'}[/] (report.md, runs.csv, plots) from {len(finished)} run(s)")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        for result in failed:
            errors.print(f"[bold red]failed:[/] {result.job.out}\n{result.error}")
        errors.print(f"{len(failed)} of {len(jobs)} runs failed; run the same command again to retry them "
                     "(finished runs are kept)")
        raise typer.Exit(code=1)


def _summary_line(cls: type) -> str:
    """First line of a class's docstring, else of its module's."""
    doc = cls.__doc__ or sys.modules[cls.__module__].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _own_options(cls: type) -> str:
    """' Options: a, b.' for the settings a learner has beyond the shared ones, else ''."""
    own = own_settings(cls)
    return f" Options: {', '.join(own)}." if own else ""


@app.command("list")
def list_(what: Annotated[str, typer.Argument(help="worlds, setups, learners or agents")] = "all") -> None:
    """List the registered worlds, setups, learners and agents, installed plug-ins included."""
    learner_plugins = {name: f"plug-in ({ep})" for name, ep in plugin_entries(LEARNER_PLUGINS).items()}
    agent_plugins = {name: f"plug-in ({ep})" for name, ep in plugin_entries(AGENT_PLUGINS).items()}
    catalogue = {
        "worlds": {name: get_family(name).env_id for name in family_names()},
        "setups": {**{name: f"one segment per {get_setup(name).unit}"
                      + (", the first returning at the end" if get_setup(name).first_returns else "")
                      for name in setup_names()},
                   "FILE.yaml|json": "your own: segments as filters over task fields"},
        "learners": {**{name: _summary_line(LEARNERS[name]) + _own_options(LEARNERS[name]) for name in learner_names()},
                     **learner_plugins},
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
