"""Gymnasium environment of the embedded ALFRED-style household world."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..core import Task, check_render_mode, render_ansi, text_spaces
from .catalogue import TASK_SCENES, TASK_TYPES
from .expert import next_action
from .goals import goal_conditions
from .highlevel import HIGH_STOP, execute, high_level_actions, high_level_expert
from .layout import SEEN_LAYOUTS
from .tasks import build_world, make_task_and_expert_length, run_expert
from .world import STOP

CHARSET = string.ascii_letters + string.digits + " .,:()'-_!?"
MAX_CANDIDATES = 64
EXPERT_LENGTH_CACHE = 4096  # tasks whose expert length an env remembers
ACTION_LEVELS = ("low", "high")  # ALFRED's low-level actions; ALFWorld-like high-level ones


class HouseholdEnv(gym.Env):
    """ALFRED-style household tasks with language instructions and text observations.

    ## Description
    A procedural household (kitchen, living room, bedroom, bathroom; 30 seeded layouts each,
    26–30 unseen) on a grid of floor cells, with ALFRED's object and receptacle types, their
    affordances and state changes (heat, cool, clean, slice, toggle, open).

    ## Mission/Instruction
    One of ALFRED's 7 task types, e.g. "put a chilled apple on the counter .", plus
    step-by-step directives in ``Task.steps``.

    ## Action Space
    ``Discrete(64)``: an index into ``observation["candidates"]`` (ALFRED's low-level actions
    MoveAhead, RotateLeft/Right, LookUp/Down, the interactions admissible with the station
    in reach, and Stop). ``info["action_mask"]`` marks valid indices. An invalid index or
    action string fails in-world with feedback, never raises; see :class:`TextActions`.

    ## Observation
    Dict of ``instruction`` (str), ``observation`` (text rendering of the agent's state and
    every station with its egocentric offset and visible contents) and ``candidates``
    (tuple of action strings).

    ## Rewards
    The fraction of goal conditions newly met by the step (negative if undone), plus 1 for
    stopping with every goal condition met.

    ## Termination
    Terminates on Stop. Truncates after ``max_steps`` actions or ``max_fails`` failed actions
    (ALFRED ends episodes after 10 failed API actions).

    ## Registered Configurations
    ``clsim/Household-v0``. ``reset(options={"task": task})`` replays a given task; without
    one, a training task is drawn from the seed.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, max_steps: int = 100, max_fails: int = 10, render_mode: str | None = None,
                 action_level: str = "low") -> None:
        check_render_mode(render_mode)
        if action_level not in ACTION_LEVELS:
            raise ValueError(f"action_level must be one of {', '.join(ACTION_LEVELS)}, got {action_level!r}")
        self.max_steps, self.max_fails, self.render_mode = max_steps, max_fails, render_mode
        self.action_level = action_level
        self.observation_space, self.action_space = text_spaces(CHARSET, 8192, MAX_CANDIDATES)
        self.task: Task | None = None
        self._expert_lengths: dict[str, int] = {}

    # ----- gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if len(self._expert_lengths) >= EXPERT_LENGTH_CACHE:  # endless random tasks must not grow it forever
            self._expert_lengths.clear()
        if task is None:
            task, length = self._random_task()
            if self.action_level == "low":  # making the task already ran the low-level expert
                self._expert_lengths[task.id] = length
        self.task = task
        self.world = build_world(task.scene, task.behavior, task.goal, task.seed)
        self.steps = self.fails = 0
        self.feedback = ""
        self.met, self.total = goal_conditions(self.world, task.behavior, task.goal)
        self._offer()
        if task.id not in self._expert_lengths:
            self._expert_lengths[task.id] = self._expert_length()
        return self._observation(), self._info(done=False)

    def step(self, action: int | str):
        assert self.task is not None, "call reset() before step()"
        if isinstance(action, str):
            text = action
        elif 0 <= int(action) < len(self.candidates):
            text = self.candidates[int(action)]
        else:
            text = f"invalid index {int(action)}"
        self.steps += 1
        stop, failure = self._apply(text)
        self.feedback = "" if failure is None else f"{text} failed : {failure} ."
        self.fails += failure is not None
        self._offer()
        met, _ = goal_conditions(self.world, self.task.behavior, self.task.goal)
        reward = (met - self.met) / self.total
        self.met = met
        terminated = stop and failure is None
        if terminated and met == self.total:
            reward += 1.0
        truncated = not terminated and (self.steps >= self.max_steps or self.fails >= self.max_fails)
        return self._observation(), reward, terminated, truncated, self._info(terminated or truncated)

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.task is not None:
            return render_ansi(self._observation())
        return None

    # ----- helpers -----------------------------------------------------------------------
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

    def _expert_action(self) -> str:
        if self.action_level == "low":
            return next_action(self.world, self.task.behavior, self.task.goal)[0]
        return high_level_expert(self.world, self.task.behavior, self.task.goal)

    def _expert_length(self) -> int:
        """L*, the expert's number of actions at this env's level (for PLW scores)."""
        if self.action_level == "low":
            return len(run_expert(self.world.copy(), self.task.behavior, self.task.goal))
        world, steps = self.world.copy(), 0
        while (action := high_level_expert(world, self.task.behavior, self.task.goal)) != HIGH_STOP:
            world, _ = execute(world, *high_level_actions(world)[action])
            steps += 1
        return steps + 1

    def _random_task(self) -> tuple[Task, int]:
        """A training task drawn from the env's seed, with its low-level expert length."""
        rng = self.np_random
        behavior = TASK_TYPES[rng.integers(len(TASK_TYPES))]
        scenes = TASK_SCENES[behavior]
        scene = f"{scenes[rng.integers(len(scenes))]}-{SEEN_LAYOUTS[rng.integers(len(SEEN_LAYOUTS))]:02d}"
        return make_task_and_expert_length(behavior, scene, "train", int(rng.integers(2**31)))

    def _observation(self) -> dict[str, Any]:
        text = self.world.render()
        return {
            "instruction": self.task.instruction,
            "observation": f"{self.feedback} {text}" if self.feedback else text,
            "candidates": self.candidates,
        }

    def _info(self, done: bool) -> dict[str, Any]:
        mask = np.zeros(MAX_CANDIDATES, dtype=np.int8)
        mask[: len(self.candidates)] = 1
        info = {
            "goal_conditions": (self.met, self.total),
            "success": self.met == self.total,
            "action_mask": mask,
            "steps": self.steps,
            "fails": self.fails,
            "expert_length": self._expert_lengths[self.task.id],
            "task_id": self.task.id,
        }
        if not done:
            info["expert_action"] = self._expert_action()
        return info


class TextActions(gym.ActionWrapper):
    """Accept action strings (e.g. ``"PickupObject apple 1"``) instead of candidate indices."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.action_space = spaces.Text(max_length=128, charset=CHARSET)

    def action(self, action: str) -> str:
        return action
