"""What the commands share: the console, clean errors for bad input, and options declared once so their
help and defaults agree."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ..agents.registry import agent_config_class, agent_names
from ..envs import family_names
from ..experiment import RunConfig
from ..learners import get_learner, learner_settings, settings_class
from ..options import parse_options
from ..streams import setup_names

console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    """Print `message` as it is written (a fix such as ``pip install 'clsim[textworlds]'`` is no markup) and exit."""
    errors.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code=2)


@contextmanager
def reported(writing: Path | str | None = None, then: str = "") -> Iterator[None]:
    """Bad input (ValueError, which names the bad value) as a clean error exit; with `writing`, an OSError too,
    saying what could not be written, followed by `then` (what to do about it)."""
    try:
        yield
    except ValueError as error:  # RunDirectoryError included
        fail(str(error))
    except OSError as error:
        if writing is None:
            raise
        fail(f"cannot write {writing}: {error.strerror or error}{then}")


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
BudgetOption = Annotated[float, typer.Option(
    "--budget", metavar="FLOPS_PER_SAMPLE", help="Training FLOPs each stream sample earns; an update that would "
    "overspend is skipped, so learners compare at equal compute (0: no budget).")]
AgentOptionOption = Annotated[list[str] | None, typer.Option(
    help="Any setting of the agent's config as KEY=VALUE, repeatable (e.g. model_dir=PATH, lora_r=4, hidden=96).")]
LearnerOptionOption = Annotated[list[str] | None, typer.Option(
    help="A setting of the learner as KEY=VALUE, repeatable: the shared ones (lr, batch_size, stream_batch, "
         "online_iter, memory_size, clip_grad, flops_per_sample) and its own (clsim list learners shows them; "
         "e.g. distill=kl for esr).")]
BaselineOption = Annotated[bool, typer.Option(help="Also score a random agent on the final suites.")]
CheckpointEveryOption = Annotated[int, typer.Option(help="Samples between resumable checkpoints (0: final weights "
                                                         "only).")]
ThreadsHelp = "; the count changes the numbers, so it is recorded in config.json"


def run_config(*, world: str | None, setup: str, learner: str, agent: str, order: int, seed: int, blurry: str | None,
               per_segment: int, eval_every: int, eval_episodes: int, max_steps: int, options: dict[str, Any],
               baseline: bool, checkpoint_every: int, agent_option: list[str] | None = None,
               stream: Path | None = None, threads: int | None = None, device: str = "cpu",
               dtype: str = "float32") -> RunConfig:
    """A checked RunConfig from command-line values (ValueError naming the bad one); `options` are the learner
    settings `learner_options` parsed."""
    config = RunConfig(world=world, setup=setup, learner=learner, agent=agent, order=order, seed=seed,
                       blurry=blurry, stream_file=str(stream) if stream is not None else None,
                       per_segment=per_segment, eval_every=eval_every, eval_episodes=eval_episodes,
                       max_steps=max_steps, random_baseline=baseline, checkpoint_every=checkpoint_every,
                       threads=threads, device=device, dtype=dtype,
                       learner_config=learner_settings(get_learner(learner), options),
                       agent_options=agent_options(agent, agent_option))
    config.validate()
    return config


def learner_options(learner_option: list[str] | None, learners: Sequence[str], **given: Any) -> dict[str, Any]:
    """The learner settings given on the command line (`given`: those with options of their own, such as
    --online-iter), checked against the settings classes of `learners` (a benchmark's several): an option one of
    them has is accepted, and each learner takes those its settings have."""
    classes = [settings_class(get_learner(name)) for name in learners]
    return {**given, **parse_options(learner_option or [], classes, "learner " + ", ".join(learners))}


def agent_options(agent: str, agent_option: list[str] | None) -> dict[str, Any]:
    """The agent's config fields given as --agent-option KEY=VALUE, checked against agent `agent`'s config class."""
    return parse_options(agent_option, agent_config_class(agent), "agent") if agent_option else {}
