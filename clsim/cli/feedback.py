"""clsim feedback: rounds of deployment, simulated users' feedback and updates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    with reported():
        config = FeedbackRunConfig(
            world=world, setup=setup, order=order, seed=seed, rounds=rounds, tasks_per_round=tasks_per_round,
            initial_segments=initial_segments, arrive_every=arrive_every, demonstrations=demonstrations,
            initial_epochs=initial_epochs, eval_episodes=eval_episodes, max_steps=max_steps, online=online,
            feedback=FeedbackConfig(rate=rate, noise=noise, delay=delay, cancel_after=cancel_after),
            learner=learner, agent=agent,
            learner_config=learner_settings(get_learner(learner), learner_options(learner_option, [learner])),
            agent_options=agent_options(agent, agent_option))
        config.validate()
        target = out if out is not None else unused_path(Path("runs") / f"feedback-{setup}-o{order}-s{seed}")
        RunDirectory.check_new(target)
    console.print(f"[bold]clsim feedback[/] {setup} order {order}, {rounds} rounds x {tasks_per_round} tasks, "
                  f"rate {rate}, noise {noise}, delay {delay} -> {target}")
    table = rounds_table()

    def on_round(record: dict) -> None:
        console.print(f"  round {record['round']}: SR {100 * record['success']:5.1f}% on "
                      f"{len(record['segments'])} segment(s)")
        add_round(table, record)

    with reported(f"to {target}"):
        summary = run_feedback(config, target, on_round=on_round)
    print_table(console, table)
    m = summary["metrics"]
    console.print(f"A_last {100 * m['a_last']:.1f}%, forgetting {100 * m['forgetting']:.1f}; results in "
                  f"[bold]{target}[/] (config.json, metrics.jsonl, summary.json, plots/)")
