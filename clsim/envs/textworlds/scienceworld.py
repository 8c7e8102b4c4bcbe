"""ScienceWorld (Wang et al. 2022) as a clsim world: its 10 topics as behaviors, its simplification levels as
environments, its gold paths as the expert.

Each topic holds the suite's tasks of that topic (30 tasks in all), in the paper's order; a clsim task is one
(task, variation) of the topic. Splits: ``train`` from the suite's train variations, ``seen`` from the last fifth
of them (rounded up; held out from ``train``), ``unseen`` from its dev variations (other objects, substances,
locations). Its test variations are left untouched for researchers' final numbers.

ScienceWorld offers every valid action in a room, often 100-450 of them; an agent scores all of its
candidates at every step, so clsim offers at most `max_candidates` (32 by default): all valid actions when they
fit, else the expert's next action (while the agent is on the gold path) and a sample of the others seeded by
the task and step. That makes a step easier than the full action space (chance picks the gold action 1 in 32,
not 1 in 400); an action outside the sample is still accepted when the suite lists it as valid.

ScienceWorld is not deterministic: loading a task again, in the same process or another, may list a room's
objects in another order and name them differently ("paint on wood cup" once, "paint on cup containing blue
paint" the next time), and a physical process may take a step more or less. It generates worlds by iterating
over collections ordered by the JVM's object hash codes (with ``-XX:hashCode=3`` even the rooms an animal is
placed in change). So the tasks (task, variation, level, instruction) are the same in every process, but the
texts along an episode may differ; the expert's path is generated at every reset for the world just loaded,
not stored with the task; and the env is registered as ``nondeterministic``.
"""

from __future__ import annotations

import random
import string
import zlib
from functools import cached_property
from typing import Any

import gymnasium as gym
import numpy as np

from ..core import (
    Task,
    check_cell,
    check_render_mode,
    normalise_action,
    render_ansi,
    text_spaces,
)
from .requirements import require
from .servers import ServerPool
from .suite import SuiteFamily
from .text import clsim_text, room_view

# The paper's 10 topics in its order (Table 1), each with its tasks in order.
TOPICS: dict[str, tuple[str, ...]] = {
    "matter": ("boil", "melt", "freeze", "change-the-state-of-matter-of"),
    "measurement": ("use-thermometer", "measure-melting-point-known-substance",
                    "measure-melting-point-unknown-substance"),
    "electricity": ("power-component", "power-component-renewable-vs-nonrenewable-energy", "test-conductivity",
                    "test-conductivity-of-unknown-substances"),
    "classification": ("find-living-thing", "find-non-living-thing", "find-animal", "find-plant"),
    "biology-1": ("grow-plant", "grow-fruit"),
    "chemistry": ("chemistry-mix", "chemistry-mix-paint-secondary-color", "chemistry-mix-paint-tertiary-color"),
    "biology-2": ("lifespan-longest-lived", "lifespan-shortest-lived", "lifespan-longest-lived-then-shortest-lived"),
    "biology-3": ("identify-life-stages-1", "identify-life-stages-2"),
    "forces": ("inclined-plane-determine-angle", "inclined-plane-friction-named-surfaces",
               "inclined-plane-friction-unnamed-surfaces"),
    "biology-4": ("mendelian-genetics-known-plant", "mendelian-genetics-unknown-plant"),
}
# Environments: the suite's simplifications. "easy" = teleporting, doors open, no electrical actions,
# self-watering flower pots; "standard" = none.
SIMPLIFICATIONS = {"easy": "easy", "standard": ""}
SEEN_SHARE = 5  # the last fifth of a task's train variations (rounded up) is held out as clsim's seen split
MAX_CANDIDATES = 32
CHARSET = string.printable


def start_server() -> Any:
    """A new ScienceWorld process (clsim truncates episodes itself, so the suite's step limit is lifted)."""
    require("scienceworld", "scienceworld", "scienceworld", java=True)
    from scienceworld import ScienceWorldEnv as Server

    return Server("", envStepLimit=10**9)


SERVERS = ServerPool(start_server)


def load(server: Any, task: Task, gold: bool = False) -> tuple[str, dict[str, Any]]:
    """Start `task` on `server`: its first observation and info."""
    server.load(task.goal["task"], int(task.goal["variation"]), SIMPLIFICATIONS[task.environment],
                generateGoldPath=gold)
    return server.reset()


def topic_of(task_name: str) -> str:
    return next(topic for topic, names in TOPICS.items() if task_name in names)


class ScienceWorldEnv(gym.Env):
    """A ScienceWorld task with clsim's observations and a bounded set of admissible-action candidates.

    ## Description
    ScienceWorld's 30 tasks in 10 topics (matter, measurement, electricity, classification, biology 1-4,
    chemistry, forces), each in its variations, with the suite's ``easy`` simplifications or none. The
    expert is the suite's gold path.

    ## Mission/Instruction
    The task's own description.

    ## Action Space
    ``Discrete(max_candidates)``: an index into ``observation["candidates"]`` (see the module doc for how
    they are chosen); an action's text is accepted too when the suite lists it as valid. An index out of
    range or an invalid text fails in-world with feedback and counts as a step, never raises.

    ## Observation
    Dict of ``instruction``, ``observation`` (the last action's feedback, then the room and the inventory,
    in clsim's lower-case text) and ``candidates``.

    ## Rewards
    The change of the suite's score over 100 (1 when solved).

    ## Termination
    Terminates when the task is solved or failed (the suite's score turns negative, e.g. after focusing on
    the wrong object). Truncates after ``max_steps`` actions.

    ## Registered Configurations
    ``clsim/ScienceWorld-v0``. ``reset(options={"task": task})`` replays a given task; without one, a training
    task is drawn from the seed.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, max_steps: int = 100, render_mode: str | None = None, expert_advice: bool = True,
                 max_candidates: int = MAX_CANDIDATES) -> None:
        check_render_mode(render_mode)
        if max_candidates < 1:
            raise ValueError(f"max_candidates must be >= 1, got {max_candidates}")
        self.max_steps, self.render_mode, self.expert_advice = max_steps, render_mode, expert_advice
        self.max_candidates = max_candidates
        self.observation_space, self.action_space = text_spaces(CHARSET, 8192, max_candidates)
        self.task: Task | None = None
        self._server: Any = None

    # ----- gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task") or self._random_task()
        if self._server is None:
            self._server = SERVERS.take()
        self.task = task
        feedback, infos = load(self._server, task, gold=self.expert_advice)
        self.gold = list(self._server.get_gold_action_sequence()) if self.expert_advice else []
        self.on_path, self.done_gold, self.steps, self.raw_score = self.expert_advice, 0, 0, 0
        self.won = self.lost = False
        self.note = ""
        self._show(feedback, infos)
        return self._observation(), self._info()

    def step(self, action: int | str):
        assert self.task is not None and self._server is not None, "call reset() before step()"
        action = normalise_action(action)
        text = action if isinstance(action, str) else (
            self.candidates[action] if 0 <= action < len(self.candidates) else None)
        self.steps += 1
        before, self.note = self.score, ""
        if text is None or text not in self.valid:
            self.note = f"invalid action {action} ."  # the task's state and last words stay as they were
        else:
            self.on_path = self.on_path and text == self.expert_action()
            self.done_gold += self.on_path
            feedback, _, completed, infos = self._server.step(text)
            self.raw_score = int(infos["score"])
            self.won, self.lost = self.raw_score >= 100, self.raw_score < 0 or (completed and self.raw_score < 100)
            self._show(feedback, infos)
        terminated = self.won or self.lost
        truncated = not terminated and self.steps >= self.max_steps
        if terminated or truncated:
            self._release()
        return self._observation(), self.score - before, terminated, truncated, self._info()

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.task is not None:
            return render_ansi(self._observation())
        return None

    def close(self) -> None:
        self._release()

    # ----- state -----------------------------------------------------------------------
    @property
    def score(self) -> float:
        """The suite's score over 100, at least 0 (a failed task's score is negative)."""
        return min(1.0, max(0.0, self.raw_score / 100))

    def expert_action(self) -> str | None:
        """The gold path's next action while the agent has followed it; None once it has left it (the suite's
        gold path starts from a task's start only)."""
        return self.gold[self.done_gold] if self.on_path and self.done_gold < len(self.gold) else None

    def _show(self, feedback: str, infos: dict[str, Any]) -> None:
        self.feedback, self.view = room_view(infos["look"], feedback, infos["inv"])
        self.valid = set(infos["valid"])
        self.candidates = self._candidates(sorted(self.valid))

    def _candidates(self, valid: list[str]) -> tuple[str, ...]:
        expert = self.expert_action()
        if expert is not None and expert not in self.valid:
            self.valid.add(expert)
            valid = sorted([*valid, expert])
        if len(valid) <= self.max_candidates:
            return tuple(valid)
        others = [v for v in valid if v != expert]
        rng = random.Random(zlib.crc32(f"{self.task.id}/{self.steps}".encode()))
        chosen = rng.sample(others, self.max_candidates - (expert is not None))
        return tuple(sorted(chosen + ([expert] if expert is not None else [])))

    def _observation(self) -> dict[str, Any]:
        text = " ".join(part for part in (self.note, self.feedback, self.view) if part)
        return {"instruction": self.task.instruction, "observation": text[:8192], "candidates": self.candidates}

    def _info(self) -> dict[str, Any]:
        mask = np.zeros(self.max_candidates, dtype=np.int8)
        mask[: len(self.candidates)] = 1
        info = {"goal_conditions": (min(100, max(0, self.raw_score)), 100), "success": self.won,
                "action_mask": mask, "steps": self.steps, "expert_length": int(self.task.goal["expert_length"]),
                "task_id": self.task.id, "scienceworld": {"score": self.score}}
        expert = self.expert_action()
        if expert is not None and not (self.won or self.lost):
            info["expert_action"] = expert
        return info

    def _release(self) -> None:
        if self._server is not None:
            SERVERS.give(self._server)
            self._server = None

    def _random_task(self) -> Task:
        rng = self.np_random
        topic = list(TOPICS)[rng.integers(len(TOPICS))]
        environment = list(SIMPLIFICATIONS)[rng.integers(len(SIMPLIFICATIONS))]
        return FAMILY.make_tasks(topic, environment, "train", 1, int(rng.integers(2**31)))[0]


class ScienceWorldFamily(SuiteFamily):
    """ScienceWorld as a :class:`clsim.envs.core.WorldFamily`: behaviors are its topics, environments its
    simplification levels."""

    name = "scienceworld"
    env_id = "clsim/ScienceWorld-v0"
    env_class = ScienceWorldEnv
    behaviors = tuple(TOPICS)
    environments = tuple(SIMPLIFICATIONS)
    action_classes = ("open", "close", "go", "pick", "put", "move", "focus", "activate", "deactivate", "use",
                      "pour", "mix", "look", "read", "wait", "connect", "disconnect", "eat", "teleport")
    facts_key = "scienceworld"
    parallel_episodes = 8  # episodes a rollout plays at once: one Java process each
    report_columns = (("scienceworld score", "seen/scienceworld_score", "mean"),)
    table_scores = ("scienceworld_score",)

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, int, str, str], Task] = {}
        self._variations: dict[str, dict[str, list[int]]] = {}

    @staticmethod
    def check_requirements() -> None:
        """Fail before a run starts when scienceworld or Java is missing."""
        require("scienceworld", "scienceworld", "scienceworld", java=True)

    @staticmethod
    def suite_scores(facts: list[dict[str, float]]) -> dict[str, float]:
        """ScienceWorld's own score of a suite: its mean over episodes (0-1)."""
        return {"scienceworld_score": float(np.mean([f["score"] for f in facts]))}

    def allowed(self, behavior: str, environment: str) -> bool:
        return behavior in TOPICS and environment in SIMPLIFICATIONS

    def check_task(self, task: Task) -> None:
        check_cell(self, task)
        if task.goal.get("task") not in TOPICS[task.behavior]:
            raise ValueError(f"task {task.id}: {task.goal.get('task')!r} is not a task of topic {task.behavior!r}; "
                             f"its tasks: {', '.join(TOPICS[task.behavior])}")

    def variations(self, task_name: str, split: str) -> list[int]:
        """The suite's variations of `task_name` that make clsim's `split` (see the module doc)."""
        if task_name not in self._variations:
            server = SERVERS.take()
            try:
                server.load(task_name, 0, "", generateGoldPath=False)
                train, dev = list(server.get_variations_train()), list(server.get_variations_dev())
            finally:
                SERVERS.give(server)
            held_out = -(-len(train) // SEEN_SHARE) if len(train) > 1 else 0  # a fifth, rounded up
            self._variations[task_name] = {"train": train[: len(train) - held_out],
                                           "seen": train[len(train) - held_out:], "unseen": dev}
        return self._variations[task_name][split]

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        """`count` distinct (task, variation) pairs of topic `behavior` from `split`, drawn by `seed`."""
        if not self.allowed(behavior, environment):
            raise ValueError(f"scienceworld has no topic {behavior!r} or level {environment!r}; topics: "
                             f"{', '.join(TOPICS)}; levels: {', '.join(SIMPLIFICATIONS)}")
        pool = [(name, v) for name in TOPICS[behavior] for v in self.variations(name, split)]
        if count > len(pool):
            raise ValueError(f"scienceworld has {len(pool)} {split} variations of topic {behavior}, {count} were "
                             f"asked for")
        order = random.Random(f"scienceworld/{behavior}/{environment}/{split}/{seed}").sample(pool, len(pool))
        tasks = []
        for name, variation in order:  # in the drawn order, skipping variations the suite's gold path fails
            task = self._task(name, variation, environment, split)
            if task is not None:
                tasks.append(task)
            if len(tasks) == count:
                return tasks
        raise ValueError(f"scienceworld's gold path solves only {len(tasks)} {split} variations of topic {behavior} "
                         f"at {environment!r}, {count} were asked for")

    def _task(self, name: str, variation: int, environment: str, split: str) -> Task | None:
        """The task, or None when the suite's gold path does not solve it (then no expert can demonstrate it)."""
        key = (name, variation, environment, split)
        if key not in self._tasks:
            try:
                self._tasks[key] = make_task(*key)
            except UnsolvedByGoldPath:
                self._tasks[key] = None
        return self._tasks[key]

    @cached_property
    def _vocabulary(self) -> list[str]:
        words: set[str] = set()
        server = SERVERS.take()
        try:
            for names in TOPICS.values():
                for name in names:
                    task = next(filter(None, (self._task(name, v, "easy", "train")
                                              for v in self.variations(name, "train"))))
                    feedback, infos = load(server, task, gold=True)
                    texts = [task.instruction, feedback, infos["look"], infos["inv"], *infos["valid"],
                             *server.get_gold_action_sequence(), *server.get_vocabulary()]
                    words.update(w for text in texts for w in clsim_text(text).split())
        finally:
            SERVERS.give(server)
        return sorted(words)

    def vocabulary(self) -> list[str]:
        """The words of every task's description, first view, valid actions and gold path (one train variation
        each), and the suite's own vocabulary of those tasks."""
        return self._vocabulary


class UnsolvedByGoldPath(RuntimeError):
    """The suite's gold path ends without solving the task (some variations, in the standard level)."""


def make_task(name: str, variation: int, environment: str, split: str) -> Task:
    """Variation `variation` of ScienceWorld task `name` at simplification `environment`, with its gold path up to
    the win (played through once, which also gives the expert's length)."""
    topic = topic_of(name)
    server = SERVERS.take()
    try:
        server.load(name, variation, SIMPLIFICATIONS[environment], generateGoldPath=True)
        _, infos = server.reset()
        gold, length, score = list(server.get_gold_action_sequence()), 0, 0
        while length < len(gold) and score < 100:  # a gold path may go on past the win
            score = server.step(gold[length])[3]["score"]
            length += 1
    finally:
        SERVERS.give(server)
    if score < 100:
        raise UnsolvedByGoldPath(f"ScienceWorld's gold path does not solve {name} variation {variation} "
                                 f"({environment}): score {score}")
    return Task(family="scienceworld", behavior=topic, environment=environment, scene=f"{name}-{variation}",
                split=split, goal={"task": name, "variation": variation, "expert_length": length},
                instruction=clsim_text(infos["taskDesc"]), steps=(), seed=variation)


FAMILY = ScienceWorldFamily()
