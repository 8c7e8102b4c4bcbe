"""Gymnasium environment of the VLN-style navigation world."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np

from ..core import Task, check_render_mode, normalise_action, render_ansi, text_spaces
from .building import SEEN_BUILDINGS, Building, make_building, parse_scene
from .domains import DOMAIN_NAMES
from .language import ASK, STOP, candidate_text, guide_answer, heading_to
from .tasks import HINT_MOVES, MODES, SUCCESS_RADIUS, make_task

MAX_CANDIDATES = 16
CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:()'-_!?"


def ndtw(path: list[int], reference: list[int], building: Building, threshold: float = SUCCESS_RADIUS) -> float:
    """Normalised dynamic time warping (Ilharco et al. 2019): exp(-DTW(path, reference) / (|reference| * d_th)),
    with geodesic distances between viewpoints."""
    n, m = len(path), len(reference)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d = building.distances[path[i - 1]][reference[j - 1]]
            cost[i, j] = d + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
    return float(math.exp(-cost[n, m] / (m * threshold)))


class NavigationEnv(gym.Env):
    """Instruction- and dialogue-guided navigation over procedural buildings (R2R / CVDN style).

    ## Description
    Buildings of 8 scene domains (home, office, hospital, school, mall, hotel, museum, airport;
    30 each, 26–30 unseen) are graphs of viewpoints in rooms, each beside a landmark. The agent
    moves between adjacent viewpoints, like Matterport3D's panoramic action space.

    ## Mission/Instruction
    ``instruction`` tasks: the whole route ("walk left into the kitchen , then stop by the
    fridge ."). ``dialogue`` tasks: only the target ("find the fridge in the kitchen ."); the
    ``ask`` action makes a guide describe the next 3 moves of a shortest path.

    ## Action Space
    ``Discrete(16)``: an index into ``observation["candidates"]``: one "go <direction> to the
    <landmark> in the <room>" per adjacent viewpoint (direction relative to the agent's heading),
    ``stop``, and in dialogue mode ``ask``. ``info["action_mask"]`` marks valid indices. An
    invalid index fails in-world with feedback, never raises.

    ## Observation
    Dict of ``instruction``, ``observation`` (the room and landmark here, the guide's last
    answer, feedback) and ``candidates``.

    ## Rewards
    The reduction of the geodesic distance to the goal, as a fraction of the start's, per move;
    plus 1 for stopping within 3 m of the goal.

    ## Termination
    Terminates on ``stop``. Truncates after ``max_steps`` actions.

    ## Registered Configurations
    ``clsim/Navigation-v0``. ``reset(options={"task": task})`` replays a given task; without one, a
    training task is drawn from the seed.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, max_steps: int = 60, render_mode: str | None = None) -> None:
        check_render_mode(render_mode)
        self.max_steps, self.render_mode = max_steps, render_mode
        self.observation_space, self.action_space = text_spaces(CHARSET, 4096, MAX_CANDIDATES)
        self.task: Task | None = None
        self._expert_lengths: dict[str, int] = {}

    # ----- gymnasium API ---------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task") or self._random_task()
        self.task, self.building = task, make_building(*parse_scene(task.scene))
        self.node, self.goal = int(task.goal["start"]), int(task.goal["goal"])
        self.heading = float(task.goal["heading"])
        self.visited, self.steps, self.asks, self.hint_left = [self.node], 0, 0, 0
        self.hint = self.feedback = ""
        self.stopped = False
        self._targets = self._candidates()
        if task.id not in self._expert_lengths:
            self._expert_lengths[task.id] = self._expert_length()
        return self._observation(), self._info(done=False)

    def step(self, action: int | str):
        assert self.task is not None, "call reset() before step()"
        action = normalise_action(action)
        if isinstance(action, str):
            text = action if action in self.candidates else None
        else:
            text = self.candidates[action] if 0 <= action < len(self.candidates) else None
        self.steps += 1
        self.feedback = "" if text is not None else f"invalid action {action} ."
        before = self.distance()
        if text == STOP:
            self.stopped = True
        elif text == ASK:
            self.hint, self.hint_left = guide_answer(self.building, self.node, self.goal, self.heading,
                                                     HINT_MOVES), HINT_MOVES
            self.asks += 1
        elif text is not None:
            there = self._targets[text]
            self.heading = heading_to(self.building, self.node, there)
            self.node = there
            self.visited.append(there)
            self.hint_left = max(0, self.hint_left - 1)
        start = self.building.distances[self.visited[0]][self.goal]
        reward = (before - self.distance()) / start + (1.0 if self.stopped and self.success() else 0.0)
        self._targets = self._candidates()
        truncated = not self.stopped and self.steps >= self.max_steps
        return self._observation(), reward, self.stopped, truncated, self._info(self.stopped or truncated)

    def render(self) -> str | None:
        if self.render_mode == "ansi" and self.task is not None:
            return render_ansi(self._observation())
        return None

    # ----- state -----------------------------------------------------------------------
    @property
    def candidates(self) -> tuple[str, ...]:
        extra = (STOP, ASK) if self.task.behavior == "dialogue" else (STOP,)
        return (*self._targets, *extra)

    def distance(self) -> float:
        return self.building.distances[self.node][self.goal]

    def success(self) -> bool:
        return self.distance() <= SUCCESS_RADIUS

    def expert_action(self) -> int:
        """Stop at the goal; in dialogue mode ask when the guide's last answer is used up; else the next hop."""
        if self.node == self.goal:
            return self.candidates.index(STOP)
        if self.task.behavior == "dialogue" and self.hint_left == 0:
            return self.candidates.index(ASK)
        nxt = self.building.next_hop(self.node, self.goal)
        return next(i for i, target in enumerate(self._targets.values()) if target == nxt)

    def _candidates(self) -> dict[str, int]:
        """Candidate text -> viewpoint, neighbours ordered from left to right of the heading."""
        def turn(n: int) -> float:
            return -((heading_to(self.building, self.node, n) - self.heading + 180) % 360 - 180)

        targets: dict[str, int] = {}
        for n in sorted(self.building.neighbours[self.node], key=lambda n: (turn(n), n)):
            text = candidate_text(self.building, self.node, n, self.heading)
            while text in targets:
                text += " ( other )"
            targets[text] = n
        return targets

    def _observation(self) -> dict[str, Any]:
        view = self.building.viewpoints[self.node]
        parts = [f"you are in the {view.room} by the {view.landmark} ."]
        if self.hint:
            parts.append(f"the guide says : {self.hint} .")
        if self.feedback:
            parts.append(self.feedback)
        return {"instruction": self.task.instruction, "observation": " ".join(parts), "candidates": self.candidates}

    def _info(self, done: bool) -> dict[str, Any]:
        mask = np.zeros(MAX_CANDIDATES, dtype=np.int8)
        mask[: len(self.candidates)] = 1
        success = self.stopped and self.success()
        info = {"goal_conditions": (int(self.success()), 1), "success": success, "action_mask": mask,
                "steps": self.steps, "expert_length": self._expert_lengths[self.task.id], "task_id": self.task.id,
                "asks": self.asks}
        if done:
            b, start = self.building, self.visited[0]
            reference = b.path(start, self.goal)
            info["navigation"] = {
                "path_length": b.path_length(self.visited), "shortest_length": b.distances[start][self.goal],
                "nav_error": self.distance(), "success": float(success),
                "oracle_success": float(min(b.distances[v][self.goal] for v in self.visited) <= SUCCESS_RADIUS),
                "ndtw": ndtw(self.visited, reference, b), "progress": b.distances[start][self.goal] - self.distance(),
                "asks": float(self.asks)}
        else:
            info["expert_action"] = self.candidates[self.expert_action()]
        return info

    def _expert_length(self) -> int:
        moves = len(self.building.path(self.node, self.goal)) - 1
        asks = math.ceil(moves / HINT_MOVES) if self.task.behavior == "dialogue" else 0
        return moves + asks + 1

    def _random_task(self) -> Task:
        rng = self.np_random
        domain = DOMAIN_NAMES[rng.integers(len(DOMAIN_NAMES))]
        scene = f"{domain}-{SEEN_BUILDINGS[rng.integers(len(SEEN_BUILDINGS))]:02d}"
        return make_task(MODES[rng.integers(len(MODES))], scene, "train", int(rng.integers(2**31)))
