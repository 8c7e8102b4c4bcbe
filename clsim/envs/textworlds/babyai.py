"""BabyAI (Chevalier-Boisvert et al. 2019, in minigrid) as a clsim world: its skill families as behaviors, one
room or several as environments, the BabyAI bot as the expert, and an egocentric text rendering of the grid.

Levels: goto (GoToLocal / GoTo), pickup (PickupLoc / Pickup), open (OpenDoorLoc / Open), putnext
(PutNextLocal / PutNextS6N3), unlock (UnlockLocal / Unlock) and synth (SynthLoc / SynthS5R2), each in a
``one-room`` and a ``multi-room`` level of BabyAI's own. BabyAI has no held-out layouts: clsim's ``train``,
``seen`` and ``unseen`` tasks are levels generated from three disjoint seed ranges, so ``unseen`` is no harder
than ``seen`` here.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable
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
from .suite import SuiteFamily

SKILLS = ("goto", "pickup", "open", "putnext", "unlock", "synth")  # BabyAI's curriculum order
LEVELS: dict[str, dict[str, str]] = {
    "one-room": {"goto": "GoToLocal", "pickup": "PickupLoc", "open": "OpenDoorLoc", "putnext": "PutNextLocal",
                 "unlock": "UnlockLocal", "synth": "SynthLoc"},
    "multi-room": {"goto": "GoTo", "pickup": "Pickup", "open": "Open", "putnext": "PutNextS6N3",
                   "unlock": "Unlock", "synth": "SynthS5R2"},
}
SEEDS = {"train": 0, "seen": 1_000_000, "unseen": 2_000_000}  # each split's seed range starts here
SEED_RANGE = 1_000_000
ACTIONS = ("turn left", "turn right", "go forward", "pick up", "drop", "toggle", "done")  # minigrid's order
CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789 .,:'-"
VIEW = 7  # minigrid's egocentric view: the agent at the bottom row's middle, looking up the columns


def quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`call` with its prints swallowed (BabyAI's level generator prints each layout it rejects)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return call(*args, **kwargs)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def where(forward: int, side: int) -> str:
    """A cell's place relative to the agent: `forward` cells ahead, `side` cells to the right (negative: left)."""
    parts = [f"{_plural(forward, 'step')} ahead"] if forward else []
    if side:
        parts.append(f"{_plural(abs(side), 'step')} to the {'right' if side > 0 else 'left'}")
    return " and ".join(parts) or "here"


def describe_view(image: np.ndarray, carrying: str | None) -> str:
    """The egocentric text of a minigrid observation image [7, 7, 3] (object, colour, state per cell; column x,
    row y, the agent at (3, 6) facing row 0): what is right in front, every visible object and door with its
    distance and side, the walls beside the agent, and what it carries. Lines end with " ."."""
    from minigrid.core.constants import IDX_TO_COLOR, IDX_TO_OBJECT, STATE_TO_IDX

    states = {index: name for name, index in STATE_TO_IDX.items()}

    def thing(x: int, y: int) -> str:
        kind, colour, state = (int(v) for v in image[x, y])
        name = IDX_TO_OBJECT[kind]
        if name == "door":
            return f"a {states[state]} {IDX_TO_COLOR[colour]} door"
        if name in ("key", "ball", "box"):
            return f"a {IDX_TO_COLOR[colour]} {name}"
        return name  # wall, empty, floor, unseen

    me = (VIEW // 2, VIEW - 1)
    front = thing(me[0], me[1] - 1)
    lines = [f"in front of you : {'nothing' if front in ('empty', 'floor') else front}"]
    for y in range(VIEW - 1, -1, -1):  # nearest rows first, left to right
        for x in range(VIEW):
            name = thing(x, y)
            if name.startswith("a ") and (x, y) != (me[0], me[1] - 1):
                lines.append(f"{name} {where(me[1] - y, x - me[0])}")
    ahead = next((me[1] - y for y in range(me[1] - 1, -1, -1) if thing(me[0], y) != "empty"), None)
    if ahead is not None and ahead > 1 and thing(me[0], me[1] - ahead) == "wall":  # 1: said as "in front"
        lines.append(f"a wall {where(ahead, 0)}")
    for side, x in (("left", me[0] - 1), ("right", me[0] + 1)):
        if thing(x, me[1]) == "wall":
            lines.append(f"a wall on your {side}")
    lines.append(f"you carry {carrying}" if carrying else "you carry nothing")
    return " . ".join(lines) + " ."


class BabyAIEnv(gym.Env):
    """A BabyAI level with clsim's text observations and a fixed set of action candidates.

    ## Description
    BabyAI's grid levels (minigrid), six skill families in a one-room and a multi-room level each, rendered
    as egocentric text by clsim: what is in front, every visible object and door (open, closed, locked) with
    how many steps ahead and to which side, the walls beside the agent, and what it carries.

    ## Mission/Instruction
    The level's mission ("put the blue key next to the grey key").

    ## Action Space
    ``Discrete(7)``: turn left, turn right, go forward, pick up, drop, toggle, done (minigrid's actions, as
    text candidates). An index out of range or an unknown text fails in-world and counts as a step.

    ## Observation
    Dict of ``instruction``, ``observation`` (the text above) and ``candidates``.

    ## Rewards
    BabyAI's own: 1 - 0.9 * (steps / the level's step limit) on success, else 0.

    ## Termination
    Terminates when the mission is accomplished. Truncates after ``max_steps`` actions.

    ## Registered Configurations
    ``clsim/BabyAI-v0``. ``reset(options={"task": task})`` replays a given task; without one, a training
    task is drawn from the seed. ``info["expert_action"]`` is the BabyAI bot's advice from any state.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, max_steps: int = 60, render_mode: str | None = None, expert_advice: bool = True) -> None:
        check_render_mode(render_mode)
        self.max_steps, self.render_mode, self.expert_advice = max_steps, render_mode, expert_advice
        self.observation_space, self.action_space = text_spaces(CHARSET, 4096, len(ACTIONS))
        self.task: Task | None = None
        self._levels: dict[str, Any] = {}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task") or self._random_task()
        level = task.goal["level"]
        if level not in self._levels:
            require("babyai", "minigrid", "minigrid", java=False)
            import minigrid  # noqa: F401  (registers BabyAI-*)

            self._levels[level] = gym.make(f"BabyAI-{level}-v0").unwrapped
        self.level, self.task = self._levels[level], task
        quietly(self.level.reset, seed=int(task.goal["seed"]))
        self.steps, self.success, self.note = 0, False, ""
        self._start_bot()
        return self._observation(), self._info()

    def step(self, action: int | str):
        assert self.task is not None, "call reset() before step()"
        action = normalise_action(action)
        index = ACTIONS.index(action) if isinstance(action, str) and action in ACTIONS else action
        self.steps += 1
        reward, self.note = 0.0, ""
        if not isinstance(index, int) or not 0 <= index < len(ACTIONS):
            self.note = f"invalid action {action} ."
        else:
            _, reward, terminated, _, _ = self.level.step(index)
            self.success = bool(terminated and reward > 0)
            self._advise(None if index == self.advice else index)  # None: the bot's own advice was taken
        truncated = not self.success and self.steps >= self.max_steps
        return self._observation(), float(reward), self.success, truncated, self._info()

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.task is not None:
            return render_ansi(self._observation())
        return None

    @property
    def candidates(self) -> tuple[str, ...]:
        return ACTIONS

    def _start_bot(self) -> None:
        """The bot, which replans at every step (a breadth-first search): only where its advice is wanted."""
        from minigrid.utils.baby_ai_bot import BabyAIBot

        self.bot, self.advice = (BabyAIBot(self.level) if self.expert_advice else None), None
        self._advise(None)

    def _advise(self, taken: int | None) -> None:
        """The bot's next action after `taken` (None: its own advice was followed, as when it plays alone); None
        once it cannot plan."""
        if self.bot is None or self.success:
            self.advice = None
            return
        try:
            self.advice = int(self.bot.replan(taken))
        except Exception:  # noqa: BLE001  the bot gives up on states it does not expect (an opened box)
            self.bot, self.advice = None, None

    def _observation(self) -> dict[str, Any]:
        carrying = self.level.carrying
        text = describe_view(self.level.gen_obs()["image"], f"a {carrying.color} {carrying.type}" if carrying else None)
        return {"instruction": self.task.instruction, "observation": f"{self.note} {text}".strip(),
                "candidates": ACTIONS}

    def _info(self) -> dict[str, Any]:
        info = {"goal_conditions": (int(self.success), 1), "success": self.success,
                "action_mask": np.ones(len(ACTIONS), dtype=np.int8), "steps": self.steps,
                "expert_length": int(self.task.goal["expert_length"]), "task_id": self.task.id}
        if self.advice is not None:
            info["expert_action"] = ACTIONS[self.advice]
        return info

    def _random_task(self) -> Task:
        rng = self.np_random
        skill = SKILLS[rng.integers(len(SKILLS))]
        size = tuple(LEVELS)[rng.integers(len(LEVELS))]
        while (task := make_task(skill, size, "train", int(rng.integers(SEED_RANGE)))) is None:
            pass  # a level the bot cannot solve: draw another
        return task


def make_task(skill: str, size: str, split: str, level_seed: int) -> Task | None:
    """The task of `skill`'s `size` level from seed `level_seed` of `split`'s range: generated once and solved by
    the bot, which gives its mission and the expert's length; None where the bot does not solve it (a few levels
    in a thousand: it loses its way in some multi-room layouts)."""
    require("babyai", "minigrid", "minigrid", java=False)
    import minigrid  # noqa: F401  (registers BabyAI-*)
    from minigrid.utils.baby_ai_bot import BabyAIBot

    level = LEVELS[size][skill]
    env = gym.make(f"BabyAI-{level}-v0").unwrapped
    seed = SEEDS[split] + level_seed
    quietly(env.reset, seed=seed)
    bot, steps, done, reward = BabyAIBot(env), 0, False, 0.0
    mission = env.mission
    try:
        while not done:
            _, reward, terminated, truncated, _ = env.step(bot.replan())
            steps, done = steps + 1, terminated or truncated
    except Exception:  # noqa: BLE001  the bot gives up on layouts it cannot plan in
        return None
    if reward <= 0:
        return None
    return Task(family="babyai", behavior=skill, environment=size, scene=f"{level}-{seed}", split=split,
                goal={"level": level, "seed": seed, "expert_length": steps}, instruction=mission, steps=(), seed=seed)


class BabyAIFamily(SuiteFamily):
    """BabyAI as a :class:`clsim.envs.core.WorldFamily`: behaviors are its skill families, environments one room
    or several."""

    name = "babyai"
    env_id = "clsim/BabyAI-v0"
    env_class = BabyAIEnv
    behaviors = SKILLS
    environments = tuple(LEVELS)
    action_classes = ACTIONS

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, str, str, int], Task | None] = {}

    @staticmethod
    def check_requirements() -> None:
        require("babyai", "minigrid", "minigrid", java=False)

    def allowed(self, behavior: str, environment: str) -> bool:
        return behavior in LEVELS.get(environment, {})

    def check_task(self, task: Task) -> None:
        check_cell(self, task)
        if task.goal.get("level") != LEVELS[task.environment][task.behavior]:
            raise ValueError(f"task {task.id}: level {task.goal.get('level')!r} is not the {task.environment} "
                             f"{task.behavior} level")

    def make_tasks(self, behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
        """`count` distinct levels of `split`'s seed range, drawn by `seed`, skipping those the bot cannot solve."""
        if not self.allowed(behavior, environment):
            raise ValueError(f"babyai has no {behavior} level in {environment!r}")
        rng, drawn, tasks = random.Random(f"babyai/{behavior}/{environment}/{split}/{seed}"), set(), []
        while len(tasks) < count:
            level_seed = rng.randrange(SEED_RANGE)
            if level_seed in drawn:
                continue
            drawn.add(level_seed)
            key = (behavior, environment, split, level_seed)
            if key not in self._tasks:
                self._tasks[key] = make_task(*key)
            if self._tasks[key] is not None:
                tasks.append(self._tasks[key])
        return tasks

    def vocabulary(self) -> list[str]:
        """Every word the renderer, the missions and the candidates use."""
        from minigrid.core.constants import COLOR_NAMES, STATE_TO_IDX

        words = {"in", "front", "of", "you", ":", "nothing", "a", "door", "key", "ball", "box", "wall", "on", "your",
                 "left", "right", "ahead", "and", "to", "the", "step", "steps", "carry", ".", "invalid", "action",
                 *COLOR_NAMES, *STATE_TO_IDX, *(str(n) for n in range(VIEW + 1)),
                 *(w for a in ACTIONS for w in a.split()),
                 # BabyAI's mission grammar (minigrid.envs.babyai.core.verifier)
                 "go", "pick", "up", "open", "put", "next", "then", "after", "behind", "doors", "keys", "balls",
                 "boxes", "object", "an", "it", ","}
        return sorted(words)
