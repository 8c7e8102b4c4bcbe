"""Batched rollouts: many episodes advance together so the agent scores them in one call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..agents.base import Agent
from ..envs.core import Task, WorldFamily
from .episodes import EpisodeResult


def start_episodes(family: WorldFamily, tasks: Sequence[Task], max_steps: int
                   ) -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One env per task, reset to it: the envs, first observations and infos of a batched rollout."""
    envs = [family.make_env(max_steps=max_steps) for _ in tasks]
    started = [env.reset(options={"task": task}) for env, task in zip(envs, tasks)]
    return envs, [obs for obs, _ in started], [info for _, info in started]


def rollout(family: WorldFamily, agent: Agent, tasks: Sequence[Task], max_steps: int = 100,
            greedy: bool = True) -> list[EpisodeResult]:
    """Run `agent` on every task until each episode ends; one agent call per time step.

    A world that offers ``episodes(tasks, max_steps)`` (household, BabyAI, TextWorldExpress) is played through
    it, all episodes stepped together without Gymnasium's per-step info and expert advice; others through one
    env per task. Both give the same results (tests check it). A world whose games run in processes of their
    own caps the episodes played at once (``parallel_episodes``); the others play every episode together.
    """
    privileged = getattr(agent, "privileged", False)
    play = _rollout_episodes if callable(getattr(family, "episodes", None)) and not privileged else _rollout_envs
    size = max(1, getattr(family, "parallel_episodes", None) or len(tasks))
    return [result for start in range(0, len(tasks), size)
            for result in play(family, agent, tasks[start : start + size], max_steps, greedy)]


def _rollout_episodes(family: Any, agent: Agent, tasks: Sequence[Task], max_steps: int,
                      greedy: bool) -> list[EpisodeResult]:
    episodes = family.episodes(list(tasks), max_steps)
    active = list(range(len(episodes)))
    while active:
        actions = agent.act([episodes[i].observation() for i in active], greedy=greedy)
        for i, action in zip(active, actions):
            episodes[i].step(action)
        active = [i for i in active if not episodes[i].ended]
    return [EpisodeResult(task_id=t.id, success=e.success, goal_met=e.met, goal_total=e.total, steps=e.steps,
                          expert_steps=family.expert_length(t), skills=e.skills(), facts=getattr(e, "facts", None))
            for t, e in zip(tasks, episodes)]


def _rollout_envs(family: WorldFamily, agent: Agent, tasks: Sequence[Task], max_steps: int,
                  greedy: bool) -> list[EpisodeResult]:
    envs, observations, infos = start_episodes(family, tasks, max_steps)
    privileged = getattr(agent, "privileged", False)
    active = list(range(len(tasks)))
    while active:
        batch = [dict(observations[i], expert_action=infos[i].get("expert_action")) if privileged
                 else observations[i] for i in active]
        actions = agent.act(batch, greedy=greedy)
        still = []
        for i, action in zip(active, actions):
            observations[i], _, terminated, truncated, infos[i] = envs[i].step(action)
            if not (terminated or truncated):
                still.append(i)
        active = still
    for env in envs:
        env.close()
    return [EpisodeResult(task_id=t.id, success=bool(info["success"]), goal_met=info["goal_conditions"][0],
                          goal_total=info["goal_conditions"][1], steps=info["steps"],
                          expert_steps=info["expert_length"], facts=info.get(getattr(family, "facts_key", ""), None),
                          skills=info.get("skills"))
            for t, info in zip(tasks, infos)]
