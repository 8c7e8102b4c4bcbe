"""``clsim play``: a person plays one task in the terminal, as an agent would see it.

It shows the instruction, the observation one line per thing and the numbered candidates, and
reads a number, an action string, ``hint`` (the expert's next action) or ``quit``. It doubles as
a smoke test of the text interface that agents use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from ..envs import get_family
from ..envs.core import Task
from .common import WorldOption, console, reported

PROMPT = "action (number, text, hint, quit)"


def choose_task(world: str, task_type: str | None, scene_type: str | None, split: str, seed: int) -> Task:
    """A task of the given type and scene type (or the first allowed ones), reproducible from `seed`."""
    family = get_family(world)
    behavior = task_type or family.behaviors[seed % len(family.behaviors)]
    if behavior not in family.behaviors:
        raise ValueError(f"unknown task type {behavior!r}; allowed: {', '.join(family.behaviors)}")
    allowed = [e for e in family.environments if family.allowed(behavior, e)]
    environment = scene_type or allowed[seed % len(allowed)]
    if environment not in allowed:
        raise ValueError(f"{behavior} does not occur in {environment!r}; it occurs in {', '.join(allowed)}")
    return family.make_tasks(behavior, environment, split, 1, seed)[0]


def show(console: Console, obs: dict[str, Any]) -> None:
    console.print(f"\n[bold]{obs['instruction']}[/]")
    for line in obs["observation"].split(" . "):
        if line.strip(" ."):
            console.print(f"  {line.strip(' .')}")
    for i, candidate in enumerate(obs["candidates"]):
        console.print(f"  [cyan][{i}][/] {candidate}")


def play(task: Task, world: str, max_steps: int, ask: Callable[[str], str], console: Console) -> dict[str, Any]:
    """Run one episode with a person choosing every action; returns the final info."""
    env = get_family(world).make_env(max_steps=max_steps)
    obs, info = env.reset(options={"task": task})
    while True:
        show(console, obs)
        answer = ask(PROMPT).strip()
        if answer.lower() in ("q", "quit"):
            console.print("stopped by the player")
            return info
        if answer.lower() in ("h", "hint"):
            console.print(f"  hint: [green]{info['expert_action']}[/]")
            continue
        if answer.isdigit() and int(answer) >= len(obs["candidates"]):
            console.print(f"  no candidate {answer}; choose 0..{len(obs['candidates']) - 1}")
            continue
        obs, reward, terminated, truncated, info = env.step(int(answer) if answer.isdigit() else answer)
        if terminated or truncated:
            met, total = info["goal_conditions"]
            verdict = "[bold green]success[/]" if info["success"] and terminated else "[bold red]not solved[/]"
            console.print(f"\n{verdict}: goal conditions {met}/{total}, {info['steps']} steps "
                          f"(the expert needs {info['expert_length']})")
            return info


def play_(
    world: WorldOption = "household",
    task_type: Annotated[str | None, typer.Option(help="Task type (default: chosen by the seed).")] = None,
    scene_type: Annotated[str | None, typer.Option(help="Scene type (default: chosen by the seed).")] = None,
    split: Annotated[str, typer.Option(help="Layouts: train, seen or unseen.")] = "train",
    seed: Annotated[int, typer.Option(help="Seed of the task.")] = 0,
    max_steps: Annotated[int, typer.Option(help="Step limit.")] = 100,
) -> None:
    """Play one task in the terminal (numbered candidates, 'hint' for the expert's next action); exit 0 if solved."""
    with reported():
        task = choose_task(world, task_type, scene_type, split, seed)
    console.print(f"[bold]{task.behavior}[/] in {task.scene} ({task.split})")
    info = play(task, world, max_steps, lambda prompt: typer.prompt(prompt), console)
    raise typer.Exit(code=0 if info["success"] else 1)
