"""The embedded ALFRED-style household world (``clsim/Household-v0``)."""

from __future__ import annotations

from typing import Any

from ..core import Demonstration, Task
from .catalogue import SCENE_TYPES, TASK_SCENES, TASK_TYPES
from .env import HouseholdEnv, TextActions
from .tasks import demonstrate, make_tasks, vocabulary
from .world import ACTIONS

__all__ = ["HouseholdEnv", "HouseholdFamily", "TextActions"]


class HouseholdFamily:
    """The household world as a :class:`clsim.envs.core.WorldFamily`."""

    name = "household"
    env_id = "clsim/Household-v0"
    behaviors = TASK_TYPES
    environments = SCENE_TYPES
    action_classes = ACTIONS

    def allowed(self, behavior: str, environment: str) -> bool:
        return environment in TASK_SCENES[behavior]

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        return make_tasks(behavior, environment, split, count, seed)

    def demonstrate(self, task: Task) -> Demonstration:
        return demonstrate(task)

    def make_env(self, **kwargs: Any) -> HouseholdEnv:
        return HouseholdEnv(**kwargs)

    def vocabulary(self) -> list[str]:
        return vocabulary()
