"""clsim feedback: rounds of deployment, simulated users' feedback and updates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..eval.rundir import RunDirectory, unused_path
from ..interactive.experiment import FeedbackRunConfig, run_feedback
from ..interactive.user import FeedbackConfig
from ..learners import get_learner, learner_settings
from .common import (
    AgentOption,
    AgentOptionOption,
    EvalEpisodesOption,
    LearnerOptionOption,
    MaxStepsOption,
    SetupOption,
    WorldOption,
    agent_options,
    console,
    learner_options,
    reported,
)
from .tables import (
    add_round,
    print_table,
    rounds_table,
)

Config = FeedbackRunConfig
OrderOption = Annotated[int, typer.Option(help="Segment order: when task (or scene) types arrive.")]
SeedOption = Annotated[int, typer.Option(help="Seed of tasks, model, users and sampling.")]
RoundsOption = Annotated[int, typer.Option(help="Rounds of deployment, then update.")]
TasksPerRoundOption = Annotated[int, typer.Option(help="Tasks deployed per round.")]
InitialSegmentsOption = Annotated[int, typer.Option(help="Segments present from the start; one more arrives every "
                                                         "--arrive-every rounds.")]
ArriveEveryOption = Annotated[int, typer.Option(help="Rounds between arrivals (0: none arrive).")]
DemonstrationsOption = Annotated[int, typer.Option(help="Initial demonstrations per initial segment.")]
InitialEpochsOption = Annotated[int, typer.Option(help="Imitation passes over the demonstrations.")]
RateOption = Annotated[float, typer.Option(help="Probability that the user judges an action.")]
NoiseOption = Annotated[float, typer.Option(help="Probability that a judgement is flipped.")]
DelayOption = Annotated[int, typer.Option(help="Actions before feedback arrives.")]
CancelAfterOption = Annotated[int, typer.Option(help="Negatives in a row after which the user cancels (0: never).")]
OnlineOption = Annotated[bool, typer.Option(help="Update after every few deployed episodes (the learner's "
                                                 "stream_batch) instead of once per round.")]
FeedbackLearnerOption = Annotated[str, typer.Option(help="A learner that learns from feedback (bandit), or a "
                                                         "plug-in.")]
FeedbackOutOption = Annotated[Path | None, typer.Option(help="Run directory (default: runs/feedback-<setup>-o<order>-"
                                                             "s<seed>, numbered if taken).")]


def feedback(
    setup: SetupOption = "behavior-il",
    order: OrderOption = 1,
    seed: SeedOption = 0,
    rounds: RoundsOption = Config.rounds,
    tasks_per_round: TasksPerRoundOption = Config.tasks_per_round,
    initial_segments: InitialSegmentsOption = Config.initial_segments,
    arrive_every: ArriveEveryOption = Config.arrive_every,
    demonstrations: DemonstrationsOption = Config.demonstrations,
    initial_epochs: InitialEpochsOption = Config.initial_epochs,
    rate: RateOption = FeedbackConfig.rate,
    noise: NoiseOption = FeedbackConfig.noise,
    delay: DelayOption = FeedbackConfig.delay,
    cancel_after: CancelAfterOption = FeedbackConfig.cancel_after,
    online: OnlineOption = False,
    eval_episodes: EvalEpisodesOption = Config.eval_episodes,
    max_steps: MaxStepsOption = Config.max_steps,
    world: WorldOption = "household",
    learner: FeedbackLearnerOption = Config.learner,
    agent: AgentOption = Config.agent,
    learner_option: LearnerOptionOption = None,
    agent_option: AgentOptionOption = None,
    out: FeedbackOutOption = None,
) -> None:
    """Learn from simulated users' thumbs up/down: rounds of deployment, then contextual-bandit updates."""
    with reported():
        config = FeedbackRunConfig(
            world=world, setup=setup, order=order, seed=seed, rounds=rounds, tasks_per_round=tasks_per_round,
            initial_segments=initial_segments, arrive_every=arrive_every, demonstrations=demonstrations,
            initial_epochs=initial_epochs, eval_episodes=eval_episodes, max_steps=max_steps, online=online,
            feedback=FeedbackConfig(rate=rate, noise=noise, delay=delay, cancel_after=cancel_after), learner=learner,
            learner_config=learner_settings(get_learner(learner), learner_options(learner_option, [learner])),
            agent=agent, agent_options=agent_options(agent, agent_option))
        config.validate()
        target = out if out is not None else unused_path(Path("runs") / f"feedback-{setup}-o{order}-s{seed}")
        RunDirectory.check_new(target)
    summary = _learn_rounds(config, target)
    m = summary["metrics"]
    console.print(f"A_last {100 * m['a_last']:.1f}%, forgetting {100 * m['forgetting']:.1f}; results in "
                  f"[bold]{target}[/] (config.json, metrics.jsonl, summary.json, plots/)")


def _learn_rounds(config: FeedbackRunConfig, target: Path) -> dict[str, Any]:
    """Run `config`, a line per round as it ends, then the table of rounds; the summary."""
    f = config.feedback
    console.print(f"[bold]clsim feedback[/] {config.setup} order {config.order}, {config.rounds} rounds x "
                  f"{config.tasks_per_round} tasks, rate {f.rate}, noise {f.noise}, delay {f.delay} -> {target}")
    table = rounds_table()

    def on_round(record: dict) -> None:
        console.print(f"  round {record['round']}: SR {100 * record['success']:5.1f}% on "
                      f"{len(record['segments'])} segment(s)")
        add_round(table, record)

    with reported(f"to {target}"):
        summary = run_feedback(config, target, on_round=on_round)
    print_table(console, table)
    return summary
