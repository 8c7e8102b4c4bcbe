"""The VLN-style navigation world (``clsim/Navigation-v0``): instruction- and dialogue-guided navigation
over procedural buildings of 8 scene domains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import Demonstration, Task, check_cell, replay_expert
from .building import parse_scene
from .domains import DOMAIN_NAMES
from .env import NavigationEnv
from .language import ASK, STOP
from .metrics import REPORT_COLUMNS, TABLE_SCORES, navigation_scores
from .tasks import MODES, make_tasks, vocabulary

__all__ = ["NavigationEnv", "NavigationFamily"]


class NavigationFamily:
    """The navigation world as a :class:`clsim.envs.core.WorldFamily`: behaviors are the two modes
    (instruction, dialogue), environments the scene domains."""

    name = "navigation"
    env_id = "clsim/Navigation-v0"
    behaviors = MODES
    environments = DOMAIN_NAMES
    action_classes = ("go", STOP, ASK)
    facts_key = "navigation"  # the info entry with an episode's facts for its scores
    report_columns = REPORT_COLUMNS
    table_scores = TABLE_SCORES

    @staticmethod
    def suite_scores(facts: list[Mapping[str, float]]) -> dict[str, float]:
        """R2R/CVDN's scores of a suite from its episodes' facts (see :mod:`.metrics`)."""
        return navigation_scores(facts)

    def allowed(self, behavior: str, environment: str) -> bool:
        return behavior in MODES and environment in DOMAIN_NAMES

    def check_task(self, task: Task) -> None:
        check_cell(self, task)
        if parse_scene(task.scene)[0] != task.environment:
            raise ValueError(f"task {task.id}: building {task.scene!r} is not a {task.environment} building")

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        return make_tasks(behavior, environment, split, count, seed)

    def demonstrate(self, task: Task) -> Demonstration:
        """Replay the expert (shortest path; in dialogue mode it asks whenever the guide's last answer is used up)."""
        return replay_expert(NavigationEnv(max_steps=200), task)

    def make_env(self, **kwargs: Any) -> NavigationEnv:
        return NavigationEnv(**kwargs)

    def vocabulary(self) -> list[str]:
        return vocabulary()
