"""The embedded ALFRED-style household world (``clsim/Household-v0``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..core import Demonstration, Task, check_cell, replay_expert
from .batch import BatchStep, HouseholdBatch
from .catalogue import SCENE_TYPES, TASK_SCENES, TASK_TYPES
from .env import HouseholdEnv, TextActions
from .episode import HouseholdEpisode, TaskStarts
from .highlevel import ACTION_CLASSES as HIGH_LEVEL_CLASSES
from .highlevel import WORDS as HIGH_LEVEL_WORDS
from .layout import LAYOUTS_PER_SCENE, parse_scene
from .tasks import demonstrate, make_tasks, vocabulary
from .world import ACTIONS

__all__ = ["BatchStep", "HouseholdBatch", "HouseholdEnv", "HouseholdFamily", "TextActions"]


class HouseholdFamily:
    """The household world as a :class:`clsim.envs.core.WorldFamily`, at ALFRED's low action level or at
    the ALFWorld-like high level (``household-hl``): same tasks, same goal conditions."""

    behaviors = TASK_TYPES
    environments = SCENE_TYPES

    def __init__(self, action_level: str = "low") -> None:
        self.action_level = action_level
        self.name = "household" if action_level == "low" else "household-hl"
        self.env_id = "clsim/Household-v0" if action_level == "low" else "clsim/HouseholdHL-v0"
        self.action_classes = ACTIONS if action_level == "low" else HIGH_LEVEL_CLASSES
        self._starts = TaskStarts(action_level)  # eval suites replay the same tasks at every eval point

    def allowed(self, behavior: str, environment: str) -> bool:
        return environment in TASK_SCENES[behavior]

    def check_task(self, task: Task) -> None:
        check_cell(self, task)
        scene_type, index = parse_scene(task.scene)
        if scene_type != task.environment or not 1 <= index <= LAYOUTS_PER_SCENE:
            raise ValueError(f"task {task.id}: scene {task.scene!r} is not a {task.environment} layout "
                             f"({task.environment}-1 .. {task.environment}-{LAYOUTS_PER_SCENE})")

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        """The same tasks at both levels; each names the world it is replayed in (streams check it, and a
        learner that acts builds its environments from it)."""
        tasks = make_tasks(behavior, environment, split, count, seed)
        return tasks if self.action_level == "low" else [replace(t, family=self.name) for t in tasks]

    def demonstrate(self, task: Task) -> Demonstration:
        if self.action_level == "low":
            return demonstrate(task)
        return replay_expert(self.make_env(max_steps=200), task)

    def episodes(self, tasks: list[Task], max_steps: int) -> list[HouseholdEpisode]:
        """The tasks as episodes to play together, by the env's own rules but without its per-step info and
        expert advice, from starting worlds built once per task and copied: the evaluator's batched path."""
        return [HouseholdEpisode(t, self._starts.world(t), self.action_level, max_steps) for t in tasks]

    def expert_length(self, task: Task) -> int:
        """L*, the expert's number of actions for `task` at this family's level (PLW scores)."""
        return self._starts.expert_length(task)

    def make_env(self, **kwargs: Any) -> HouseholdEnv:
        return HouseholdEnv(action_level=self.action_level, **kwargs)

    def vocabulary(self) -> list[str]:
        return sorted(set(vocabulary()) | HIGH_LEVEL_WORDS) if self.action_level == "high" else vocabulary()
