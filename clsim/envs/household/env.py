"""Gymnasium environment of the embedded ALFRED-style household world."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from ..core import Task, check_render_mode, render_ansi, text_spaces
from .episode import MAX_CANDIDATES, HouseholdEpisode, TaskStarts, check_action_level
from .tasks import plan_random_task
from .world import World

CHARSET = string.ascii_letters + string.digits + " .,:()'-_!?/"  # every character of both levels' texts ("in/on")
TASK_CACHE_SIZE = 4096  # tasks whose starting world and expert length an env remembers


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
    every station with its egocentric offset and the contents the agent has seen: hidden until
    the station is first opened, still listed, with their state, once it closes) and
    ``candidates`` (tuple of action strings).

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
        self._starts = TaskStarts(action_level, TASK_CACHE_SIZE)

    # ----- gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if task is None:
            planned = plan_random_task(self.np_random)
            self._starts.remember(planned)
            task = planned.task
        self.episode = HouseholdEpisode(task, self._starts.world(task), self.action_level, self.max_steps,
                                        self.max_fails)
        return self.episode.observation(), self._info()

    def step(self, action: int | str):
        assert self.episode is not None, "call reset() before step()"
        reward, terminated, truncated = self.episode.step(action)
        return self.episode.observation(), reward, terminated, truncated, self._info()

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
    def _info(self) -> dict[str, Any]:
        return self.episode.info(self._starts.expert_length(self.episode.task), self.expert_advice)


class TextActions(gym.ActionWrapper):
    """Accept action strings (e.g. ``"PickupObject apple 1"``) instead of candidate indices."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.action_space = spaces.Text(max_length=128, charset=CHARSET)

    def action(self, action: str) -> str:
        return action
