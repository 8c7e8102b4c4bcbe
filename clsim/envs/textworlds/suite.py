"""What every text-game suite's world family does the same way, around its own env class: make envs,
demonstrate by replaying the suite's expert, and play the evaluator's episodes without expert advice."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from ..core import Demonstration, EnvEpisode, Task, replay_expert


class SuiteFamily:
    """A world family over one Gymnasium env class that takes ``max_steps`` and ``expert_advice``."""

    env_class: ClassVar[type]
    facts_key: ClassVar[str] = ""  # the info entry with the suite's own score ("" for none)

    def make_env(self, **kwargs: Any) -> Any:
        return self.env_class(**kwargs)

    def demonstrate(self, task: Task) -> Demonstration:
        """Follow the suite's expert, recording what the agent's env shows at every step."""
        env = self.env_class(max_steps=10**6)
        try:
            return replay_expert(env, task)
        finally:
            env.close()

    def episodes(self, tasks: list[Task], max_steps: int) -> list[EnvEpisode]:
        """The evaluator's path: the tasks as episodes without expert advice (a suite's expert costs more than the
        agent: the BabyAI bot replans at every step, TWX's gold agent plays each game through, TextWorld plans a
        walkthrough). A rollout plays at most the family's ``parallel_episodes`` at once, if it sets one."""
        return [EnvEpisode(self.env_class(max_steps=max_steps, expert_advice=False), task, self.facts_key)
                for task in tasks]

    @staticmethod
    def expert_length(task: Task) -> int:
        return int(task.goal["expert_length"])


def demonstration_words(demonstrations: Iterable[Demonstration]) -> list[str]:
    """Every word of the demonstrations' instructions, observations and candidates, sorted: a vocabulary."""
    words: set[str] = set()
    for demo in demonstrations:
        words.update(demo.task.instruction.split())
        for step in demo.steps:
            words.update(step.observation.split())
            words.update(w for c in step.candidates for w in c.split())
    return sorted(words)
