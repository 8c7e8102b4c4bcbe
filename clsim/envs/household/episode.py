"""The rules of one household episode: what is offered, what an action does, its reward, when it ends.

:class:`~clsim.envs.household.env.HouseholdEnv` wraps one episode in Gymnasium's API and renders
it as text every step; :class:`~clsim.envs.household.batch.HouseholdBatch` steps many at once and
renders only when asked. Both play by these rules, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Task, normalise_action
from .expert import IntentFollower
from .goals import goal_conditions, named_goal_conditions, skill_counts
from .highlevel import HIGH_STOP, execute, high_level_actions, high_level_expert
from .tasks import PlannedTask, build_world, run_expert
from .world import STOP, World

ACTION_LEVELS = ("low", "high")  # ALFRED's low-level actions; ALFWorld-like high-level ones
MAX_CANDIDATES = 64  # the Discrete action space's size: more candidates than any state offers


def check_action_level(action_level: str) -> None:
    if action_level not in ACTION_LEVELS:
        raise ValueError(f"action_level must be one of {', '.join(ACTION_LEVELS)}, got {action_level!r}")


class HouseholdEpisode:
    """One task played from `world` (mutated in place) at one action level."""

    def __init__(self, task: Task, world: World, action_level: str = "low", max_steps: int = 100,
                 max_fails: int = 10) -> None:
        self.task, self.world, self.action_level = task, world, action_level
        self.max_steps, self.max_fails = max_steps, max_fails
        self.steps = self.fails = 0
        self.terminated = self.truncated = False
        self.feedback = ""  # the last action's failure, shown before the next observation
        self._advice: dict[tuple, str] = {}  # expert_action's plans, by state
        self._expert = IntentFollower(task.behavior, task.goal)
        self.met, self.total = goal_conditions(world, task.behavior, task.goal)
        self._offer()

    @property
    def success(self) -> bool:
        return self.met == self.total

    @property
    def ended(self) -> bool:
        return self.terminated or self.truncated

    def step(self, action: int | str) -> tuple[float, bool, bool]:
        """(reward, terminated, truncated) of one action: a candidate index or an action string."""
        action = normalise_action(action)
        if isinstance(action, str):
            text = action
        elif 0 <= action < len(self.candidates):
            text = self.candidates[action]
        else:
            text = f"invalid index {action}"
        self.steps += 1
        world, changes = self.world, self.world.changes
        stop, failure = self._apply(text)
        self.feedback = "" if failure is None else f"{text} failed : {failure} ."
        self.fails += failure is not None
        self._offer()
        met = self.met  # moving and looking never change a goal condition: count only after interactions
        if self.world is not world or self.world.changes != changes:
            met, _ = goal_conditions(self.world, self.task.behavior, self.task.goal)
        reward = (met - self.met) / self.total
        self.met = met
        terminated = stop and failure is None
        if terminated and met == self.total:
            reward += 1.0
        truncated = not terminated and (self.steps >= self.max_steps or self.fails >= self.max_fails)
        self.terminated, self.truncated = terminated, truncated
        return reward, terminated, truncated

    def skills(self) -> dict[str, tuple[int, int]]:
        """Per skill its goal conditions (met, total) now: what the episode achieved of each skill it needed."""
        return skill_counts(named_goal_conditions(self.world, self.task.behavior, self.task.goal))

    def observation(self) -> dict[str, Any]:
        """What the agent perceives now, as text (the part of a step worth skipping when nobody reads it)."""
        text = self.world.render()
        return {
            "instruction": self.task.instruction,
            "observation": f"{self.feedback} {text}" if self.feedback else text,
            "candidates": self.candidates,
        }

    def expert_action(self) -> str:
        """The expert's next action from the current state, at this episode's level.

        Planned once per state: only interactions change the objects (``World.changes`` counts
        them), so within an episode (changes, pose, horizon) names the whole state, and an
        agent that walks back to where it stood gets the same advice without planning again. At the
        low level, the expert's intent is decided once per change of the objects and its moves are
        found from each pose (:class:`~clsim.envs.household.expert.IntentFollower`).
        """
        world = self.world
        state = (world.changes, world.pose, world.horizon)
        if state not in self._advice:
            if self.action_level == "low":
                self._advice[state] = self._expert(world)[0]
            else:
                self._advice[state] = high_level_expert(world, self.task.behavior, self.task.goal)
        return self._advice[state]

    def info(self, expert_length: int, expert_advice: bool = True) -> dict[str, Any]:
        """The env's ``info`` now: goal conditions, success, the candidate mask, counts, and the expert's
        next action while the episode runs (unless `expert_advice` is off)."""
        mask = np.zeros(MAX_CANDIDATES, dtype=np.int8)
        mask[: len(self.candidates)] = 1
        info = {
            "goal_conditions": (self.met, self.total),
            "success": self.success,
            "action_mask": mask,
            "steps": self.steps,
            "fails": self.fails,
            "expert_length": expert_length,
            "task_id": self.task.id,
        }
        if expert_advice and not self.ended:
            info["expert_action"] = self.expert_action()
        if self.ended:
            info["skills"] = self.skills()
        return info

    def _offer(self) -> None:
        """The admissible actions now: ALFRED's low-level ones, or ALFWorld-like high-level ones."""
        if self.action_level == "low":
            self.candidates = tuple(self.world.candidates())
        else:
            self._high = high_level_actions(self.world)
            self.candidates = tuple(self._high)

    def _apply(self, text: str) -> tuple[bool, str | None]:
        """(stopped, failure) of one action string."""
        if self.action_level == "low":
            return text == STOP, None if text == STOP else self.world.act(text)
        kind, payload = self._high.get(text, ("unknown", None))
        if kind == "unknown":
            return False, f"unknown action {text!r}"
        if kind == "stop":
            return True, None
        self.world, failure = execute(self.world, kind, payload)
        return False, failure


def expert_length(task: Task, world: World, action_level: str) -> int:
    """L*, the expert's number of actions from `world` (not changed) at `action_level` (for PLW scores)."""
    if action_level == "low":
        return len(run_expert(world.copy(), task.behavior, task.goal))
    steps = 0
    while (action := high_level_expert(world, task.behavior, task.goal)) != HIGH_STOP:
        world, _ = execute(world, *high_level_actions(world)[action])
        steps += 1
    return steps + 1


class TaskStarts:
    """Per task: its starting world, built once and handed out as copies, and the expert's length from it.

    Building a world places every object again (~0.25 ms); a copy takes ~5 µs. At most
    `limit` tasks are kept, so endless random tasks do not grow the cache forever.
    """

    def __init__(self, action_level: str, limit: int = 4096) -> None:
        self.action_level, self.limit = action_level, limit
        self._worlds: dict[str, World] = {}
        self._lengths: dict[str, int] = {}

    def remember(self, planned: PlannedTask) -> None:
        """Keep a planned task's unplayed world, and its expert length if planned at this level."""
        self._keep(planned.task, planned.start)
        if self.action_level == "low":  # planning ran the low-level expert
            self._lengths[planned.task.id] = planned.expert_length

    def world(self, task: Task) -> World:
        """A fresh copy of `task`'s starting world, built on first use."""
        if task.id not in self._worlds:
            self._keep(task, build_world(task.scene, task.behavior, task.goal, task.seed))
        return self._worlds[task.id].copy()

    def expert_length(self, task: Task) -> int:
        if task.id not in self._lengths:
            self._lengths[task.id] = expert_length(task, self.world(task), self.action_level)
        return self._lengths[task.id]

    def _keep(self, task: Task, world: World) -> None:
        if len(self._worlds) >= self.limit:
            self._worlds.clear()
            self._lengths.clear()
        world.render()  # once: every copy inherits the text of the lines no action has changed yet
        self._worlds[task.id] = world
