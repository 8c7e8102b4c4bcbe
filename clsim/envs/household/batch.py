"""Many household episodes stepped together, with text rendered only when asked.

A Gymnasium step of :class:`~clsim.envs.household.env.HouseholdEnv` renders ~20 lines of
text and plans the expert's advice, and a random reset plans a whole new task. Most steps of
an RL rollout or a throughput study read none of that. :class:`HouseholdBatch` plays the same
episodes by the same rules (:class:`~clsim.envs.household.episode.HouseholdEpisode`), returns
arrays, and does the text and planning work only for the episodes a caller asks about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Task
from .episode import MAX_CANDIDATES, HouseholdEpisode, TaskStarts, check_action_level

FAMILIES = ("household", "household-hl")


@dataclass(frozen=True)
class BatchStep:
    """What one step of every episode returned; row i is episode slot i."""

    rewards: np.ndarray  # float32 [N]
    terminated: np.ndarray  # bool [N]: stopped (the slot has already started its next task)
    truncated: np.ndarray  # bool [N]: out of steps or failures (likewise restarted)
    success: np.ndarray  # bool [N]: every goal condition met after this step
    ended: dict[int, HouseholdEpisode]  # slot -> the episode that ended this step, in its final state


class HouseholdBatch:
    """`num_envs` household episodes advanced together over a seeded cycle of `tasks`.

    ``step(actions)`` takes one candidate index (or action string) per slot and applies it
    exactly as ``HouseholdEnv.step`` would. An episode that ends is replaced at once by the
    next task, so :meth:`observations`, :meth:`action_masks` and :meth:`expert_actions` always
    describe the episodes now running. Tasks come in a fresh seeded permutation each pass;
    each task's starting world is built once and copied for every replay.
    """

    def __init__(self, tasks: Sequence[Task], num_envs: int, *, action_level: str = "low", max_steps: int = 100,
                 max_fails: int = 10, seed: int = 0, starts: TaskStarts | None = None) -> None:
        """`starts` may hand over starting worlds and expert lengths already known, e.g. from planning the tasks."""
        check_action_level(action_level)
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if not tasks:
            raise ValueError("tasks is empty: a batch needs at least one household task to play")
        foreign = sorted({t.family for t in tasks} - set(FAMILIES))
        if foreign:
            raise ValueError(f"tasks of world {', '.join(map(repr, foreign))}; allowed: {', '.join(FAMILIES)}")
        self.tasks, self.num_envs, self.action_level = list(tasks), num_envs, action_level
        self.max_steps, self.max_fails = max_steps, max_fails
        if starts is not None and starts.action_level != action_level:
            raise ValueError(f"starts were made at action level {starts.action_level!r}, the batch plays at "
                             f"{action_level!r}")
        self.starts = starts or TaskStarts(action_level, limit=len(self.tasks))  # each task's start and expert length
        self._rng, self._order = np.random.default_rng(seed), []
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        """Start every slot on a new task; a `seed` restarts the task cycle from that seed."""
        if seed is not None:
            self._rng, self._order = np.random.default_rng(seed), []
        self.finished = 0  # episodes ended since the last reset
        self.episodes = [self._next_episode() for _ in range(self.num_envs)]

    def step(self, actions: Sequence[int | str] | np.ndarray) -> BatchStep:
        if len(actions) != self.num_envs:
            raise ValueError(f"step needs one action per episode slot: got {len(actions)} for {self.num_envs}")
        if isinstance(actions, np.ndarray):
            actions = actions.tolist()  # Python ints: numpy scalars make every comparison in a step slower
        n = self.num_envs
        rewards, success = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=bool)
        terminated, truncated = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        ended = {}
        for i, (episode, action) in enumerate(zip(self.episodes, actions)):
            reward, stop, out = episode.step(action)
            rewards[i], terminated[i], truncated[i], success[i] = reward, stop, out, episode.success
            if stop or out:
                ended[i] = episode
                self.finished += 1
                self.episodes[i] = self._next_episode()
        return BatchStep(rewards, terminated, truncated, success, ended)

    # ----- on demand ----------------------------------------------------------------------
    def candidate_counts(self) -> np.ndarray:
        """How many candidates each running episode offers now, ``int64 [N]``."""
        return np.fromiter((len(e.candidates) for e in self.episodes), dtype=np.int64, count=self.num_envs)

    def action_masks(self) -> np.ndarray:
        """``bool [N, MAX_CANDIDATES]``: which candidate indices are valid in each running episode."""
        return np.arange(MAX_CANDIDATES) < self.candidate_counts()[:, None]

    def observations(self, slots: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """The text observations HouseholdEnv would return, rendered now for `slots` (all when None)."""
        return [self.episodes[i].observation() for i in self._slots(slots)]

    def expert_actions(self, slots: Sequence[int] | None = None) -> list[str]:
        """The expert's next action in each of `slots` (all when None), planned now."""
        return [self.episodes[i].expert_action() for i in self._slots(slots)]

    # ----- helpers -------------------------------------------------------------------------
    def _slots(self, slots: Sequence[int] | None) -> Sequence[int]:
        if slots is None:
            return range(self.num_envs)
        bad = [i for i in slots if not 0 <= i < self.num_envs]
        if bad:
            raise ValueError(f"episode slots {bad} out of range 0..{self.num_envs - 1}")
        return slots

    def _next_episode(self) -> HouseholdEpisode:
        if not self._order:
            self._order = self._rng.permutation(len(self.tasks)).tolist()[::-1]
        task = self.tasks[self._order.pop()]
        return HouseholdEpisode(task, self.starts.world(task), self.action_level, self.max_steps,
                                self.max_fails)
