"""Gymnasium's vector API on :class:`~clsim.envs.household.batch.HouseholdBatch`.

``gym.make_vec("clsim/Household-v0", num_envs=N)`` builds this instead of N Gymnasium envs in a
``SyncVectorEnv``: the episodes are the same and the batch is the same shape, but a finished
episode restarts from a pool of tasks planned once, not from a task planned anew, and the
per-env wrapper layers are gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ..core import Task, text_spaces
from .batch import HouseholdBatch
from .env import CHARSET
from .episode import MAX_CANDIDATES, HouseholdEpisode, TaskStarts, check_action_level
from .tasks import plan_random_task


class HouseholdVectorEnv(VectorEnv):
    """`num_envs` household episodes with Gymnasium's vector API and same-step autoreset.

    Observations and infos are batched as ``SyncVectorEnv`` batches ``HouseholdEnv``'s (tuples
    of texts; info arrays with ``_key`` masks). When an episode ends, its slot starts the next
    task in the same step, and the ended episode's last observation and info are in
    ``infos["final_obs"]`` and ``infos["final_info"]``.

    Tasks: ``reset(options={"tasks": [...]})`` plays those; otherwise the constructor's
    `tasks`; otherwise `task_pool` random training tasks planned from the reset's seed.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 1, *, tasks: Sequence[Task] | None = None, task_pool: int = 64,
                 action_level: str = "low", max_steps: int = 100, max_fails: int = 10, expert_advice: bool = True,
                 render_mode: str | None = None) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode must be None for the vector env, got {render_mode!r}")
        check_action_level(action_level)
        if num_envs < 1 or task_pool < 1:
            raise ValueError(f"num_envs and task_pool must be >= 1, got {num_envs} and {task_pool}")
        self.num_envs, self.tasks, self.task_pool = num_envs, list(tasks) if tasks else None, task_pool
        self.action_level, self.max_steps, self.max_fails = action_level, max_steps, max_fails
        self.expert_advice, self.render_mode = expert_advice, render_mode
        self.single_observation_space, self.single_action_space = text_spaces(CHARSET, 8192, MAX_CANDIDATES)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.batch: HouseholdBatch | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        tasks, starts = (options or {}).get("tasks") or self.tasks, None
        if not tasks:
            planned = [plan_random_task(self.np_random) for _ in range(self.task_pool)]
            tasks, starts = [p.task for p in planned], TaskStarts(self.action_level, limit=len(planned))
            for p in planned:  # planning already built each start and ran the expert
                starts.remember(p)
        self.batch = HouseholdBatch(tasks, self.num_envs, action_level=self.action_level, max_steps=self.max_steps,
                                    max_fails=self.max_fails, seed=int(self.np_random.integers(2**31)), starts=starts)
        return self._observations(), self._infos({})

    def step(self, actions: np.ndarray):
        assert self.batch is not None, "call reset() before step()"
        out = self.batch.step(np.asarray(actions))
        infos: dict[str, Any] = {}
        for i, episode in out.ended.items():
            infos = self._add_info(infos, {"final_obs": episode.observation(), "final_info": self._info(episode)}, i)
        return self._observations(), out.rewards.astype(np.float64), out.terminated, out.truncated, self._infos(infos)

    def _observations(self) -> dict[str, tuple]:
        rows = self.batch.observations()
        return {key: tuple(row[key] for row in rows) for key in ("candidates", "instruction", "observation")}

    def _info(self, episode: HouseholdEpisode) -> dict[str, Any]:
        return episode.info(self.batch.starts.expert_length(episode.task), self.expert_advice)

    def _infos(self, infos: dict[str, Any]) -> dict[str, Any]:
        for i, episode in enumerate(self.batch.episodes):
            infos = self._add_info(infos, self._info(episode), i)
        return infos
