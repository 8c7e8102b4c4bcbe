"""TextWorld (Côté et al. 2018) as a clsim world: its generated challenges as behaviors, two difficulty levels as
environments, its walkthrough policy as the expert.

Behaviors are the challenges ``tw-make`` generates that run on this stack: coin_collector, treasure_hunter and
simple (tw-cooking is left out: textworld 1.6's cooking generator calls ``int()`` on a 1-element array, which
NumPy 2 refuses). Environments: ``easy`` and ``hard`` settings of each (levels 5 and 15 of the level-based
challenges; dense rewards and a detailed goal, or sparse rewards and a brief goal, for simple). Splits come from
disjoint game-seed ranges (``train`` 0-799, ``seen`` 800-999, ``unseen`` 1000-1999), and ``simple``'s unseen
games are drawn from its test distribution (other objects).

Generating a game (Inform 7 compilation) takes ~2.5 s, so games are kept in a cache directory
(``$CLSIM_CACHE_DIR/textworld``, by default ``~/.cache/clsim/textworld``) under a name made of the challenge,
its settings and the seed; a game is generated once per machine.
"""

from __future__ import annotations

import os
import random
import string
from functools import cached_property
from pathlib import Path
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
from .suite import SuiteFamily, demonstration_words
from .text import clsim_text, room_view

CHALLENGES = ("coin_collector", "treasure_hunter", "simple")  # in the order tw-make lists them
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "easy": {"coin_collector": {"level": 5}, "treasure_hunter": {"level": 5},
             "simple": {"rewards": "dense", "goal": "detailed"}},
    "hard": {"coin_collector": {"level": 15}, "treasure_hunter": {"level": 15},
             "simple": {"rewards": "sparse", "goal": "brief"}},
}
SEEDS = {"train": (0, 800), "seen": (800, 1000), "unseen": (1000, 2000)}
MAX_CANDIDATES = 64
CHARSET = string.printable
VOCABULARY_SEEDS = range(3)  # train games of each (challenge, level) whose texts make the agents' vocabulary


def cache_dir() -> Path:
    return Path(os.environ.get("CLSIM_CACHE_DIR", Path.home() / ".cache" / "clsim")) / "textworld"


def game_file(challenge: str, environment: str, split: str, game_seed: int) -> Path:
    """The compiled game of `challenge` at `environment` from `game_seed`, generated on first use."""
    settings = dict(SETTINGS[environment][challenge], **({"test": split == "unseen"} if challenge == "simple" else {}))
    name = "-".join([challenge, *(f"{k}{v}" for k, v in sorted(settings.items())), str(game_seed)])
    path = cache_dir() / f"{name}.z8"
    if not path.exists():
        require("textworld", "textworld", "textworld", java=False)
        import textworld
        from textworld.challenges import CHALLENGES as MAKERS

        options = textworld.GameOptions()
        options.seeds, options.path, options.file_ext, options.force_recompile = game_seed, str(path), ".z8", True
        path.parent.mkdir(parents=True, exist_ok=True)
        game = MAKERS[f"tw-{challenge}"][1](settings, options)
        textworld.generator.compile_game(game, options)
    return path


def start(path: Path, policy: bool = True) -> tuple[Any, Any]:
    """A TextWorld env on the game at `path`, reset: the env and its first game state; with `policy`, TextWorld
    plans the walkthrough from every state (the expert's advice)."""
    import textworld

    infos = textworld.EnvInfos(policy_commands=policy, admissible_commands=True, description=True, inventory=True,
                               objective=True, score=True, max_score=True, won=True, lost=True)
    env = textworld.start(str(path), request_infos=infos)
    return env, env.reset()


class TextWorldEnv(gym.Env):
    """A generated TextWorld game with clsim's observations and admissible-action candidates.

    ## Description
    TextWorld's coin_collector, treasure_hunter and simple challenges, ``easy`` and ``hard``; the expert is
    the game's walkthrough policy, which TextWorld recomputes from every state.

    ## Mission/Instruction
    The game's objective.

    ## Action Space
    ``Discrete(64)``: an index into ``observation["candidates"]``, the game's admissible commands in sorted
    order (the expert's next command always among them); a command's text is accepted too. An index out of
    range or an inadmissible text fails in-world with feedback and counts as a step, never raises.

    ## Observation
    Dict of ``instruction``, ``observation`` (the last command's feedback, then the room's description and the
    inventory, in clsim's lower-case text) and ``candidates``.

    ## Rewards
    The change of the game's score over its maximum (1 when won).

    ## Termination
    Terminates when the game is won or lost. Truncates after ``max_steps`` actions.

    ## Registered Configurations
    ``clsim/TextWorld-v0``. ``reset(options={"task": task})`` replays a given task; without one, a training
    task is drawn from the seed.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, max_steps: int = 60, render_mode: str | None = None, expert_advice: bool = True) -> None:
        check_render_mode(render_mode)
        self.max_steps, self.render_mode, self.expert_advice = max_steps, render_mode, expert_advice
        self.observation_space, self.action_space = text_spaces(CHARSET, 8192, MAX_CANDIDATES)
        self.task: Task | None = None
        self._game: Any = None

    # ----- gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task") or self._random_task()
        self.close()
        self.task = task
        self._game, state = start(game_file(task.behavior, task.environment, task.split, int(task.goal["seed"])),
                                  policy=self.expert_advice)
        self.steps, self.note = 0, ""
        self._show(state, "")  # the game's opening feedback is TextWorld's banner and the objective
        return self._observation(), self._info()

    def step(self, action: int | str):
        assert self.task is not None and self._game is not None, "call reset() before step()"
        action = normalise_action(action)
        text = action if isinstance(action, str) else (
            self.candidates[action] if 0 <= action < len(self.candidates) else None)
        self.steps += 1
        before, self.note = self.score, ""
        if text is None or text not in self.admissible:
            self.note = f"invalid action {action} ."  # the game's state and last words stay as they were
        else:
            state, _, _ = self._game.step(text)
            self._show(state, state.feedback)
        terminated = self.state.won or self.state.lost
        truncated = not terminated and self.steps >= self.max_steps
        return self._observation(), self.score - before, terminated, truncated, self._info()

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.task is not None:
            return render_ansi(self._observation())
        return None

    def close(self) -> None:
        if self._game is not None:
            self._game.close()
            self._game = None

    # ----- state -----------------------------------------------------------------------
    @property
    def score(self) -> float:
        """The game's score over its maximum (1 when won)."""
        return 1.0 if self.state.won else min(1.0, max(0.0, self.state.score / max(1, self.state.max_score)))

    def expert_action(self) -> str | None:
        """The first command of TextWorld's walkthrough from the current state (None once won or lost)."""
        policy = self.state.policy_commands if self.expert_advice else None
        return policy[0] if policy and not (self.state.won or self.state.lost) else None

    def _show(self, state: Any, feedback: str) -> None:
        self.state = state
        self.feedback, self.view = room_view(state.description or "", feedback, state.inventory or "")
        self.admissible = set(state.admissible_commands or ())
        valid = sorted(self.admissible)
        expert = self.expert_action()
        if expert is not None and expert not in self.admissible:
            self.admissible.add(expert)
            valid = sorted([*valid, expert])
        if len(valid) > MAX_CANDIDATES:  # keep the expert's command, then the first ones in order
            valid = sorted(([expert] if expert else []) + [v for v in valid if v != expert][
                : MAX_CANDIDATES - bool(expert)])
        self.candidates = tuple(valid)

    def _observation(self) -> dict[str, Any]:
        text = " ".join(part for part in (self.note, self.feedback, self.view) if part)
        return {"instruction": self.task.instruction, "observation": text[:8192], "candidates": self.candidates}

    def _info(self) -> dict[str, Any]:
        mask = np.zeros(MAX_CANDIDATES, dtype=np.int8)
        mask[: len(self.candidates)] = 1
        points = max(1, int(self.state.max_score))
        info = {"goal_conditions": (points if self.state.won else min(points, max(0, int(self.state.score))), points),
                "success": bool(self.state.won), "action_mask": mask, "steps": self.steps,
                "expert_length": int(self.task.goal["expert_length"]), "task_id": self.task.id,
                "textworld": {"score": self.score}}
        expert = self.expert_action()
        if expert is not None:
            info["expert_action"] = expert
        return info

    def _random_task(self) -> Task:
        rng = self.np_random
        challenge = CHALLENGES[rng.integers(len(CHALLENGES))]
        environment = tuple(SETTINGS)[rng.integers(len(SETTINGS))]
        return make_task(challenge, environment, "train", int(rng.integers(*SEEDS["train"])))


def make_task(challenge: str, environment: str, split: str, game_seed: int) -> Task:
    """The task of `challenge` at `environment` from `game_seed`: its game generated (or read from the cache) and
    played along the walkthrough once, which gives its instruction and the expert's length."""
    game, state = start(game_file(challenge, environment, split, game_seed))
    try:
        instruction, length = clsim_text(state.objective or ""), 0
        while state.policy_commands and not (state.won or state.lost):
            state, _, _ = game.step(state.policy_commands[0])
            length += 1
    finally:
        game.close()
    if not state.won:
        raise RuntimeError(f"TextWorld's walkthrough does not win {challenge} ({environment}, seed {game_seed})")
    return Task(family="textworld", behavior=challenge, environment=environment, scene=f"{split}-{game_seed}",
                split=split, goal={"seed": game_seed, "expert_length": length}, instruction=instruction, steps=(),
                seed=game_seed)


class TextWorldFamily(SuiteFamily):
    """TextWorld as a :class:`clsim.envs.core.WorldFamily`: behaviors are its challenges, environments two
    difficulty levels of each."""

    name = "textworld"
    env_id = "clsim/TextWorld-v0"
    env_class = TextWorldEnv
    behaviors = CHALLENGES
    environments = tuple(SETTINGS)
    action_classes = ("go", "take", "put", "drop", "open", "close", "unlock", "lock", "insert", "eat", "look",
                      "inventory", "examine")
    facts_key = "textworld"
    report_columns = (("textworld score", "seen/textworld_score", "mean"),)
    table_scores = ("textworld_score",)

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, str, str, int], Task] = {}

    @staticmethod
    def check_requirements() -> None:
        """Fail before a run starts when textworld is missing."""
        require("textworld", "textworld", "textworld", java=False)

    @staticmethod
    def suite_scores(facts: list[dict[str, float]]) -> dict[str, float]:
        """The games' own score of a suite: its mean over episodes."""
        return {"textworld_score": float(np.mean([f["score"] for f in facts]))}

    def allowed(self, behavior: str, environment: str) -> bool:
        return behavior in CHALLENGES and environment in SETTINGS

    def check_task(self, task: Task) -> None:
        check_cell(self, task)

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        """`count` distinct games of `split`'s seed range, drawn by `seed`."""
        if not self.allowed(behavior, environment):
            raise ValueError(f"textworld makes no {behavior!r} game at {environment!r}; challenges: "
                             f"{', '.join(CHALLENGES)}; levels: {', '.join(SETTINGS)}")
        low, high = SEEDS[split]
        if count > high - low:
            raise ValueError(f"textworld has {high - low} {split} games per challenge and level, {count} were asked for")
        seeds = random.Random(f"textworld/{behavior}/{environment}/{split}/{seed}").sample(range(low, high), count)
        return [self._task(behavior, environment, split, s) for s in seeds]

    def _task(self, challenge: str, environment: str, split: str, game_seed: int) -> Task:
        key = (challenge, environment, split, game_seed)
        if key not in self._tasks:
            self._tasks[key] = make_task(*key)
        return self._tasks[key]

    @cached_property
    def _vocabulary(self) -> list[str]:
        return demonstration_words(self.demonstrate(self._task(challenge, environment, "train", game_seed))
                                   for environment in SETTINGS for challenge in CHALLENGES
                                   for game_seed in VOCABULARY_SEEDS)

    def vocabulary(self) -> list[str]:
        """The words of the instructions, observations and candidates of a fixed sample of training games."""
        return self._vocabulary
