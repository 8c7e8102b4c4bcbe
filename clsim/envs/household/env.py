"""Gymnasium environment of the embedded ALFRED-style household world."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..core import Task, check_render_mode, render_ansi, text_spaces
from .catalogue import TASK_SCENES, TASK_TYPES
from .episode import HouseholdEpisode, check_action_level
from .layout import SEEN_LAYOUTS
from .tasks import PlannedTask, StartWorlds, plan_task
from .world import World

CHARSET = string.ascii_letters + string.digits + " .,:()'-_!?"
MAX_CANDIDATES = 64
TASK_CACHE_SIZE = 4096  # tasks whose expert length and starting world an env remembers


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
    one, a training task is drawn from the seed. ``expert_advice=False`` leaves out
    ``info["expert_action"]``, planned at every step otherwise, for rollouts that never read
    it. :class:`~clsim.envs.household.batch.HouseholdBatch` steps many episodes at once and
    renders their text only when asked.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, max_steps: int = 100, max_fails: int = 10, render_mode: str | None = None,
                 action_level: str = "low", expert_advice: bool = True) -> None:
        check_render_mode(render_mode)
        check_action_level(action_level)
        self.max_steps, self.max_fails, self.render_mode = max_steps, max_fails, render_mode
        self.action_level = action_level
        self.observation_space, self.action_space = text_spaces(CHARSET, 8192, MAX_CANDIDATES)
        self.episode: HouseholdEpisode | None = None
        self.expert_advice = expert_advice
        self._expert_lengths: dict[str, int] = {}
        self._starts = StartWorlds(TASK_CACHE_SIZE)

    # ----- gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if len(self._expert_lengths) >= TASK_CACHE_SIZE:  # endless random tasks must not grow it forever
            self._expert_lengths.clear()
        if task is None:
            planned = self._random_task()
            task = planned.task
            self._starts.remember(task, planned.start)
            if self.action_level == "low":  # planning the task already ran the low-level expert
                self._expert_lengths[task.id] = planned.expert_length
        world = self._starts.copy_for(task)
        self.episode = HouseholdEpisode(task, world, self.action_level, self.max_steps, self.max_fails)
        if task.id not in self._expert_lengths:
            self._expert_lengths[task.id] = self.episode.expert_length()
        return self.episode.observation(), self._info(done=False)

    def step(self, action: int | str):
        assert self.episode is not None, "call reset() before step()"
        reward, terminated, truncated = self.episode.step(action)
        return self.episode.observation(), reward, terminated, truncated, self._info(terminated or truncated)

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.episode is not None:
            return render_ansi(self.episode.observation())
        return None

    # ----- the current episode, for tools that inspect it (play, tests) -------------------
    @property
    def task(self) -> Task | None:
        return None if self.episode is None else self.episode.task

    @property
    def world(self) -> World:
        return self.episode.world

    @property
    def candidates(self) -> tuple[str, ...]:
        return self.episode.candidates

    # ----- helpers -----------------------------------------------------------------------
    def _random_task(self) -> PlannedTask:
        """A training task drawn from the env's seed, with its starting world and low-level expert length."""
        rng = self.np_random
        behavior = TASK_TYPES[rng.integers(len(TASK_TYPES))]
        scenes = TASK_SCENES[behavior]
        scene = f"{scenes[rng.integers(len(scenes))]}-{SEEN_LAYOUTS[rng.integers(len(SEEN_LAYOUTS))]:02d}"
        return plan_task(behavior, scene, "train", int(rng.integers(2**31)))

    def _info(self, done: bool) -> dict[str, Any]:
        episode = self.episode
        mask = np.zeros(MAX_CANDIDATES, dtype=np.int8)
        mask[: len(episode.candidates)] = 1
        info = {
            "goal_conditions": (episode.met, episode.total),
            "success": episode.success,
            "action_mask": mask,
            "steps": episode.steps,
            "fails": episode.fails,
            "expert_length": self._expert_lengths[episode.task.id],
            "task_id": episode.task.id,
        }
        if self.expert_advice and not done:
            info["expert_action"] = episode.expert_action()
        return info


class TextActions(gym.ActionWrapper):
    """Accept action strings (e.g. ``"PickupObject apple 1"``) instead of candidate indices."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.action_space = spaces.Text(max_length=128, charset=CHARSET)

    def action(self, action: str) -> str:
        return action
