"""Several worlds as one family, for world-incremental streams: one text agent learns the household world, then
navigation, then TextWorldExpress, and is scored on every world it has met.

A world of the sequence is a *behavior* of this family (its only environment is ``all``); its tasks stay the
world's own (``task.family`` names the world), so they replay, demonstrate and score exactly as in that world.
A sequence reports the scores every world shares (SR, GC and their PLW versions); a world's own scores
(navigation's SPL, TextWorldExpress's score) come from runs on that world.
"""

from __future__ import annotations

import random
import string
from typing import Any

import gymnasium as gym

from .core import Demonstration, Task, WorldFamily, check_render_mode, get_family, render_ansi, text_spaces

ALL = "all"


class WorldSequenceEnv(gym.Env):
    """The env of each task's own world, chosen at every ``reset(options={"task": task})`` (a task is required:
    the sequence has no tasks of its own to draw). Spaces are the broadest of its worlds'."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, worlds: tuple[str, ...], max_steps: int = 60, render_mode: str | None = None) -> None:
        check_render_mode(render_mode)
        self.worlds, self.max_steps, self.render_mode = worlds, max_steps, render_mode
        self.observation_space, self.action_space = text_spaces(string.printable, 8192, 128)
        self._envs: dict[str, Any] = {}
        self.env: Any = None
        self._last: dict[str, Any] | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if task is None or task.family not in self.worlds:
            raise ValueError(f"a world sequence replays tasks of its worlds ({', '.join(self.worlds)}): pass "
                             f"reset(options={{'task': task}}), got {task!r}")
        if task.family not in self._envs:
            self._envs[task.family] = get_family(task.family).make_env(max_steps=self.max_steps)
        self.env = self._envs[task.family]
        observation, info = self.env.reset(options={"task": task})
        self._last = observation
        return observation, info

    def step(self, action: Any):
        assert self.env is not None, "call reset() before step()"
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._last = observation
        return observation, reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self._last is not None:
            return render_ansi(self._last)
        return None

    def close(self) -> None:
        for env in self._envs.values():
            env.close()


class WorldSequence:
    """Worlds met one after another, as a :class:`clsim.envs.core.WorldFamily` (see the module doc)."""

    env_id = ""  # no Gymnasium id: its env replays given tasks only
    environments = (ALL,)

    def __init__(self, worlds: tuple[str, ...]) -> None:
        self.worlds = worlds
        self.name = "+".join(worlds)
        self.behaviors = worlds
        self.action_classes = tuple(dict.fromkeys(c for w in worlds for c in self._world(w).action_classes))
        self.parallel_episodes = min(getattr(self._world(w), "parallel_episodes", None) or 10**9 for w in worlds)

    @staticmethod
    def _world(name: str) -> WorldFamily:
        return get_family(name)

    def check_requirements(self) -> None:
        for world in self.worlds:
            check = getattr(self._world(world), "check_requirements", None)
            if callable(check):
                check()

    def allowed(self, behavior: str, environment: str) -> bool:
        return behavior in self.worlds and environment == ALL

    def check_task(self, task: Task) -> None:
        if task.family not in self.worlds:
            raise ValueError(f"task {task.id}: a {task.family!r} task; this sequence has {', '.join(self.worlds)}")
        self._world(task.family).check_task(task)

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        """`count` tasks of world `behavior`, balanced over its (behavior, environment) cells, in a seeded order."""
        if not self.allowed(behavior, environment):
            raise ValueError(f"{self.name} has no world {behavior!r} (environment {environment!r}); it has "
                             f"{', '.join(self.worlds)} in environment {ALL!r}")
        world = self._world(behavior)
        cells = [(b, e) for b in world.behaviors for e in world.environments if world.allowed(b, e)]
        per_cell = [count // len(cells) + (i < count % len(cells)) for i in range(len(cells))]
        tasks = [t for (b, e), n in zip(cells, per_cell) if n for t in world.make_tasks(b, e, split, n, seed)]
        random.Random(f"worlds/{behavior}/{split}/{seed}").shuffle(tasks)
        return tasks

    def demonstrate(self, task: Task) -> Demonstration:
        return self._world(task.family).demonstrate(task)

    def make_env(self, **kwargs: Any) -> WorldSequenceEnv:
        return WorldSequenceEnv(self.worlds, **kwargs)

    def vocabulary(self) -> list[str]:
        return sorted({w for world in self.worlds for w in self._world(world).vocabulary()})
