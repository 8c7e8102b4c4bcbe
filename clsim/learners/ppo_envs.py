"""PPO's environments: the tasks being practised, played on episode slots behind SB3's VecEnv API.

MaskablePPO collects rollouts from a stable-baselines3 ``VecEnv``. :class:`PoolVecEnv` is that
VecEnv over the world's own episodes path (``family.episodes``, which the evaluator uses too: for
the household world it skips the Gymnasium env's per-step text info and expert planning), and over
one Gymnasium env per episode for a world without one. It keeps ``DummyVecEnv``'s semantics exactly
-- slots stepped in order, an ended slot restarted at once on the pool's next task, the ended
episode's last observation in ``infos[i]["terminal_observation"]`` and ``"TimeLimit.truncated"`` set
-- so PPO's numbers are those of SB3's own vectorisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from ..agents.sb3 import CandidateArrays
from ..envs.core import EnvEpisode, Task, WorldFamily


class TaskPool:
    """The tasks being practised now, handed out in turn to every episode slot that starts anew."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.cursor = 0

    def replace(self, tasks: Sequence[Task]) -> None:
        self.tasks, self.cursor = list(tasks), 0

    def next(self) -> Task:
        task = self.tasks[self.cursor % len(self.tasks)]
        self.cursor += 1
        return task


def start_episode(family: WorldFamily, task: Task, max_steps: int) -> Any:
    """`task` as an episode: the world's episodes path when it has one, else a fresh Gymnasium env."""
    episodes = getattr(family, "episodes", None)
    if callable(episodes):
        return episodes([task], max_steps)[0]
    return EnvEpisode(family.make_env(max_steps=max_steps), task)


class PoolVecEnv(VecEnv):
    """`num_envs` episode slots playing the pool's tasks, with word-id observations and action masks."""

    def __init__(self, family: WorldFamily, num_envs: int, pool: TaskPool, arrays: CandidateArrays,
                 max_steps: int) -> None:
        from gymnasium import spaces

        self.family, self.pool, self.arrays, self.max_steps = family, pool, arrays, max_steps
        self.episodes: list[Any] = []
        self._encoded: list[tuple[dict[str, np.ndarray], np.ndarray]] = []
        self._actions = np.zeros(num_envs, dtype=np.int64)
        super().__init__(num_envs, arrays.space, spaces.Discrete(arrays.slots))

    # ----- the VecEnv API ------------------------------------------------------------------
    def reset(self) -> dict[str, np.ndarray]:
        self.episodes = [self._start() for _ in range(self.num_envs)]
        self._encoded = [self.arrays.encode(episode.observation()) for episode in self.episodes]
        self._reset_seeds()
        self._reset_options()
        return self._observations()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[dict[str, Any]]]:
        rewards = np.zeros(self.num_envs, dtype=np.float32)
        dones = np.zeros(self.num_envs, dtype=bool)
        infos: list[dict[str, Any]] = []
        for i, (episode, action) in enumerate(zip(self.episodes, self._actions.tolist())):
            rewards[i], terminated, truncated = episode.step(action)
            dones[i] = terminated or truncated
            infos.append({"TimeLimit.truncated": truncated and not terminated})
            encoded = self.arrays.encode(episode.observation())
            if dones[i]:
                infos[i]["terminal_observation"] = encoded[0]
                self.episodes[i] = self._start()
                encoded = self.arrays.encode(self.episodes[i].observation())
            self._encoded[i] = encoded
        return self._observations(), rewards, dones, infos

    def close(self) -> None:
        self.episodes = []

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        if attr_name == "render_mode":
            return [None] * len(self._get_indices(indices))
        raise AttributeError(f"PoolVecEnv's episodes have no attribute {attr_name!r}")

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError(f"PoolVecEnv's episodes have no settable attribute {attr_name!r}")

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
        if method_name != "action_masks":
            raise AttributeError(f"PoolVecEnv offers only action_masks(), not {method_name}()")
        return [self._encoded[i][1].copy() for i in self._get_indices(indices)]

    def has_attr(self, attr_name: str) -> bool:
        return attr_name == "action_masks"

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))

    # ----- helpers -------------------------------------------------------------------------
    def _start(self) -> Any:
        return start_episode(self.family, self.pool.next(), self.max_steps)

    def _observations(self) -> dict[str, np.ndarray]:
        return {key: np.stack([arrays[key] for arrays, _ in self._encoded]) for key in self.arrays.space.spaces}
