"""Deployment: the agent samples its actions on a batch of tasks while simulated users give feedback."""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from ..agents.base import Agent, score_batch
from ..envs.core import Task, WorldFamily
from ..eval.rollout import start_episodes
from ..streams.feedback import Interaction
from .user import FeedbackConfig, SimulatedUser


def deploy(family: WorldFamily, agent: Agent, tasks: Sequence[Task], feedback: FeedbackConfig, seed: int,
           max_steps: int = 60) -> list[Interaction]:
    """Run the agent, sampling from its policy, on every task; one user per task (seeded by `seed` and the task)."""
    generator = torch.Generator().manual_seed(seed)
    envs, observations, infos = start_episodes(family, tasks, max_steps)
    users = [SimulatedUser(feedback, random.Random(f"user/{seed}/{task.id}")) for task in tasks]
    for user in users:
        user.start()
    records = [Interaction(t.id, [], [], [], {}, False, False) for t in tasks]
    active = list(range(len(tasks)))
    while active:
        with torch.no_grad():
            logits, valid = score_batch(agent, [observations[i] for i in active])
            probs = logits.masked_fill(~valid, float("-inf")).softmax(-1)
            actions = torch.multinomial(probs, 1, generator=generator).squeeze(1).tolist()
        still = []
        for row, (i, action) in enumerate(zip(active, actions)):
            record, before = records[i], infos[i]
            text = observations[i]["candidates"][action]
            record.observations.append(observations[i])
            record.actions.append(action)
            record.deployed_probs.append(float(probs[row, action]))
            observations[i], _, terminated, truncated, infos[i] = envs[i].step(action)
            change = infos[i]["goal_conditions"][0] - before["goal_conditions"][0]
            cancelled = users[i].watch(len(record.actions) - 1, text, before.get("expert_action"), change)
            if terminated or truncated or cancelled:
                record.feedback, record.cancelled = users[i].end(), cancelled
                record.success = bool(infos[i]["success"])
            else:
                still.append(i)
        active = still
    return records
