"""The rules of one household episode: what is offered, what an action does, its reward, when it ends.

:class:`~clsim.envs.household.env.HouseholdEnv` wraps one episode in Gymnasium's API and renders
it as text every step; :class:`~clsim.envs.household.batch.HouseholdBatch` steps many at once and
renders only when asked. Both play by these rules, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from ..core import Task
from .expert import next_action
from .goals import goal_conditions
from .highlevel import HIGH_STOP, execute, high_level_actions, high_level_expert
from .tasks import run_expert
from .world import STOP, World

ACTION_LEVELS = ("low", "high")  # ALFRED's low-level actions; ALFWorld-like high-level ones


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
        self.feedback = ""  # the last action's failure, shown before the next observation
        self._advice: dict[tuple, str] = {}  # expert_action's plans, by state
        self.met, self.total = goal_conditions(world, task.behavior, task.goal)
        self._offer()

    @property
    def success(self) -> bool:
        return self.met == self.total

    def step(self, action: int | str) -> tuple[float, bool, bool]:
        """(reward, terminated, truncated) of one action: a candidate index or an action string."""
        if isinstance(action, str):
            text = action
        elif 0 <= int(action) < len(self.candidates):
            text = self.candidates[int(action)]
        else:
            text = f"invalid index {int(action)}"
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
        return reward, terminated, truncated

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
        agent that walks back to where it stood gets the same advice without planning again.
        """
        world = self.world
        state = (world.changes, world.pose, world.horizon)
        if state not in self._advice:
            if self.action_level == "low":
                self._advice[state] = next_action(world, self.task.behavior, self.task.goal)[0]
            else:
                self._advice[state] = high_level_expert(world, self.task.behavior, self.task.goal)
        return self._advice[state]

    def expert_length(self) -> int:
        """L*, the expert's number of actions from the current state at this level (for PLW scores)."""
        if self.action_level == "low":
            return len(run_expert(self.world.copy(), self.task.behavior, self.task.goal))
        world, steps = self.world.copy(), 0
        while (action := high_level_expert(world, self.task.behavior, self.task.goal)) != HIGH_STOP:
            world, _ = execute(world, *high_level_actions(world)[action])
            steps += 1
        return steps + 1

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
