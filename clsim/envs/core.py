"""Records shared by every world, and the registry of world families.

A *world family* (household, navigation, text worlds…) knows how to make tasks, how to
replay them in its Gymnasium environment and how its expert solves them. Streams,
learners and evaluators only ever see the records defined here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Protocol

import numpy as np
from gymnasium import spaces

from ..plugins import Registry

SPLITS = ("train", "seen", "unseen")


@dataclass(frozen=True)
class Task:
    """One instruction-following problem, replayable from its fields alone."""

    family: str
    behavior: str
    environment: str
    scene: str
    split: str
    goal: Mapping[str, Any] = field(hash=False)
    instruction: str
    steps: tuple[str, ...]
    seed: int

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"Task.split must be one of {SPLITS}, got {self.split!r}")

    @cached_property
    def id(self) -> str:
        """A stable content hash: the same task has the same id on every machine (computed once: envs
        report it at every step)."""
        payload = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha1(payload).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """Plain fields (goal values are JSON scalars), copied shallowly: ``asdict``'s deep copy would cost
        ~150 µs per task id, a large part of a random reset."""
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["goal"] = dict(self.goal)
        record["steps"] = list(self.steps)
        return record

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Task:
        return cls(**{**record, "goal": dict(record["goal"]), "steps": tuple(record["steps"])})


@dataclass(frozen=True)
class Step:
    """What the expert saw and chose at one time step."""

    observation: str
    candidates: tuple[str, ...]
    action: int

    @property
    def action_text(self) -> str:
        return self.candidates[self.action]


@dataclass(frozen=True)
class Episode:
    """The learner's view of a demonstration: no task type, scene type or segment label.

    Learners receive only these, so a stream cannot leak task boundaries through metadata.
    """

    uid: str
    instruction: str
    steps: tuple[Step, ...]

    def observations(self) -> list[dict[str, Any]]:
        """The steps as environment observations, the form agents score."""
        return [
            {"instruction": self.instruction, "observation": s.observation, "candidates": s.candidates}
            for s in self.steps
        ]

    def actions(self) -> list[int]:
        return [s.action for s in self.steps]


@dataclass(frozen=True)
class Demonstration:
    """A task plus the expert's trajectory through it."""

    task: Task
    steps: tuple[Step, ...]

    def episode(self) -> Episode:
        return Episode(uid=self.task.id, instruction=self.task.instruction, steps=self.steps)


def text_spaces(charset: str, max_text: int, max_candidates: int) -> tuple[spaces.Dict, spaces.Discrete]:
    """The observation and action spaces every clsim world declares: instruction, observation and candidate
    texts, and an index into the candidates."""
    text = spaces.Text(max_length=max_text, charset=charset)
    observation = spaces.Dict({"instruction": text, "observation": text,
                               "candidates": spaces.Sequence(spaces.Text(max_length=128, charset=charset))})
    return observation, spaces.Discrete(max_candidates)


def render_ansi(observation: Mapping[str, Any]) -> str:
    """A text observation as a person reads it: the instruction, the observation, numbered candidates."""
    return f"{observation['instruction']}\n{observation['observation']}\n" + "\n".join(
        f"  [{i}] {c}" for i, c in enumerate(observation["candidates"]))


def check_render_mode(render_mode: str | None) -> None:
    if render_mode not in (None, "ansi"):
        raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")


def normalise_action(action: Any) -> int | str:
    """An action as every clsim world takes it: an index into ``observation["candidates"]`` (a Python or numpy
    integer, or a 0-d integer array) or an action's text. Out-of-range indices and unknown texts are the
    world's to fail in-world; anything else (None, booleans, floats, longer arrays) is a TypeError."""
    if isinstance(action, np.ndarray) and action.ndim == 0:
        action = action.item()
    if isinstance(action, str):
        return action
    if isinstance(action, (int, np.integer)) and not isinstance(action, (bool, np.bool_)):
        return int(action)
    raise TypeError(f"an action is an integer index into observation['candidates'] or a candidate's text, got "
                    f"{action!r} ({type(action).__name__})")


def check_cell(family: WorldFamily, task: Task) -> None:
    """Raise unless `task` belongs to `family` and its (behavior, environment) is one the family makes."""
    if task.family != family.name:
        raise ValueError(f"task {task.id}: a {task.family!r} task, not a {family.name!r} one")
    if task.behavior not in family.behaviors:
        raise ValueError(f"task {task.id}: unknown behavior {task.behavior!r}; {family.name} has: "
                         f"{', '.join(family.behaviors)}")
    if task.environment not in family.environments or not family.allowed(task.behavior, task.environment):
        raise ValueError(f"task {task.id}: {family.name} makes no {task.behavior} task in {task.environment!r}")


def replay_expert(env: Any, task: Task) -> Demonstration:
    """A demonstration recorded by following ``info["expert_action"]`` in `env` from `task`'s start:
    what the expert saw and chose at every step, as the learner's env will show it. It ends when the episode
    does, or when the expert has no more advice (a suite's gold path that falls short on a reload)."""
    observation, info = env.reset(options={"task": task})
    steps, done = [], False
    while not done and "expert_action" in info:
        candidates = tuple(observation["candidates"])
        action = candidates.index(info["expert_action"])
        steps.append(Step(observation["observation"], candidates, action))
        observation, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    return Demonstration(task, tuple(steps))


class EnvEpisode:
    """One task played in an env built without expert advice: the evaluator's episodes path (``family.episodes``)
    for worlds whose expert costs more than the agent (BabyAI's bot replans at every step, TextWorldExpress's gold
    agent plays each game through). Scores come from the env's own info, so they are the env's."""

    def __init__(self, env: Any, task: Task, facts_key: str = "") -> None:
        self.env, self.facts_key = env, facts_key
        self._observation, self.info = env.reset(options={"task": task})
        self.ended = False

    def observation(self) -> dict[str, Any]:
        return self._observation

    def step(self, action: Any) -> tuple[float, bool, bool]:
        """(reward, terminated, truncated) of one action, as the env returned them."""
        self._observation, reward, terminated, truncated, self.info = self.env.step(action)
        self.ended = terminated or truncated
        if self.ended:
            self.env.close()
        return float(reward), bool(terminated), bool(truncated)

    @property
    def success(self) -> bool:
        return bool(self.info["success"])

    @property
    def met(self) -> int:
        return self.info["goal_conditions"][0]

    @property
    def total(self) -> int:
        return self.info["goal_conditions"][1]

    @property
    def steps(self) -> int:
        return self.info["steps"]

    @property
    def facts(self) -> Any:
        return self.info.get(self.facts_key)

    def skills(self) -> Any:
        return self.info.get("skills")


class WorldFamily(Protocol):
    """What a world must provide for streams, agents and the evaluator."""

    name: str
    env_id: str
    behaviors: tuple[str, ...]
    environments: tuple[str, ...]
    action_classes: tuple[str, ...]  # the verbs of its actions (CAMA's classes)

    def allowed(self, behavior: str, environment: str) -> bool: ...

    def check_task(self, task: Task) -> None:
        """Raise a ValueError naming what is wrong with a task read from a file (its type, place or scene), so
        a bad stream is refused before a run starts."""

    def make_tasks(
        self, behavior: str, environment: str, split: str, count: int, seed: int
    ) -> list[Task]: ...

    def demonstrate(self, task: Task) -> Demonstration: ...

    def make_env(self, **kwargs: Any) -> Any: ...

    def vocabulary(self) -> list[str]: ...

    # Optional, for scores of the world's own (navigation: SPL, nDTW, …):
    #   facts_key: str                     the info entry in which each episode reports its facts
    #   suite_scores(facts) -> dict        a suite's scores from its episodes' facts
    #   report_columns: ((column, "split/score", statistic), ...)   extra columns of clsim report
    #   table_scores: (score, ...)         extra rows of clsim train's stream-metrics table


WORLD_PROTOCOL = {  # how streams, agents and the evaluator call a world family
    "allowed": "allowed(behavior, environment)", "check_task": "check_task(task)",
    "make_tasks": "make_tasks(behavior, environment, split, count, seed)", "demonstrate": "demonstrate(task)",
    "make_env": "make_env()", "vocabulary": "vocabulary()",
}
# Name -> factory of the world family; users' worlds by module:Class or the clsim.worlds entry points.
WORLDS: Registry[Callable[[], WorldFamily]] = Registry("world", "clsim.worlds", WORLD_PROTOCOL)
_INSTANCES: dict[str, WorldFamily] = {}


def family_names() -> list[str]:
    return sorted(WORLDS)


def get_family(name: str) -> WorldFamily:
    """The world family called `name` (or a plug-in's, built with no arguments); one shared instance per process."""
    if name not in _INSTANCES:
        _INSTANCES[name] = WORLDS.get_entry(name)()
    return _INSTANCES[name]
