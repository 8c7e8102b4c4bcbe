"""The household task on AI2-THOR (``pip install 'clsim[thor]'`` and a local THOR build).

The same `Task` (instruction, goal parameters) runs in ALFRED's THOR floor plan for its scene
(see `mapping.floorplan`), with our action strings mapped to THOR's API and ALFRED's goal
conditions counted by the household world's own definition. clsim never downloads a build
(ai2thor's own download reaches beyond the package index): point ``CLSIM_THOR_EXECUTABLE`` or
``executable=`` at one. Without the package or a build, construction fails with one message
that says which is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ..core import Task, text_spaces
from ..household.catalogue import kind_of
from ..household.env import CHARSET, MAX_CANDIDATES
from ..household.world import STOP
from .mapping import StateChanges, floorplan, name_objects, thor_action, thor_candidates, thor_goal_conditions

EXECUTABLE_VARIABLE = "CLSIM_THOR_EXECUTABLE"


class ThorUnavailable(RuntimeError):
    """AI2-THOR cannot run here: the ai2thor package or a local build is missing."""


def make_controller(executable: str | None = None, **kwargs: Any) -> Any:
    try:
        from ai2thor.controller import Controller
    except ImportError as error:
        raise ThorUnavailable("the AI2-THOR backend needs the ai2thor package: pip install 'clsim[thor]'") from error
    path = executable or os.environ.get(EXECUTABLE_VARIABLE)
    if not path or not Path(path).exists():
        raise ThorUnavailable(f"the AI2-THOR backend needs a local THOR build: set {EXECUTABLE_VARIABLE} or pass "
                              f"executable= (got {path!r}); clsim does not download one")
    return Controller(local_executable_path=path, gridSize=0.25, visibilityDistance=1.5, **kwargs)


class ThorHouseholdEnv(gym.Env):
    """Household tasks in AI2-THOR, with the household env's spaces, actions, rewards and info."""

    metadata = {"render_modes": [], "render_fps": 4}

    def __init__(self, max_steps: int = 100, max_fails: int = 10, executable: str | None = None,
                 controller: Any = None) -> None:
        self.controller = controller if controller is not None else make_controller(executable)
        self.max_steps, self.max_fails = max_steps, max_fails
        self.observation_space, self.action_space = text_spaces(CHARSET, 8192, MAX_CANDIDATES)
        self.task: Task | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if task is None:
            raise ValueError("ThorHouseholdEnv replays household tasks: reset(options={'task': task})")
        self.task = task
        event = self.controller.reset(scene=floorplan(task.scene))
        self.names = name_objects(event.metadata["objects"])
        kinds = {kind_of(name) for name in self.names}
        needed = [v for k, v in task.goal.items() if k in ("object", "receptacle", "mrecep", "lamp") and v]
        absent = [v for v in needed if v not in kinds]
        if absent:
            raise ValueError(f"{floorplan(task.scene)} has no {', '.join(absent)} for this task; "
                             f"it has: {', '.join(sorted(kinds))}")
        self.changes, self.steps, self.fails, self.feedback = StateChanges(), 0, 0, ""
        self.objects = event.metadata["objects"]
        self.met, self.total = self._conditions()
        self.candidates = thor_candidates(self.objects, self.names)
        return self._observation(), self._info()

    def step(self, action: int | str):
        text = action if isinstance(action, str) else (
            self.candidates[int(action)] if 0 <= int(action) < len(self.candidates) else f"invalid index {int(action)}")
        self.steps += 1
        failure = None
        if text != STOP:
            try:
                event = self.controller.step(**thor_action(text, self.names))
                self.objects = event.metadata["objects"]
                failure = None if event.metadata["lastActionSuccess"] else event.metadata.get("errorMessage") or "failed"
            except ValueError as error:  # not an action of ours, or no such object here: fails in-world
                failure = str(error)
            if failure is None:
                self.changes.after(text, self.objects, self.names)
        self.fails += failure is not None
        self.feedback = "" if failure is None else f"{text} failed : {failure} ."
        met, _ = self._conditions()
        reward, self.met = (met - self.met) / self.total, met
        terminated = text == STOP
        reward += 1.0 if terminated and met == self.total else 0.0
        truncated = not terminated and (self.steps >= self.max_steps or self.fails >= self.max_fails)
        self.candidates = thor_candidates(self.objects, self.names)
        return self._observation(), reward, terminated, truncated, self._info()

    def close(self) -> None:
        self.controller.stop()

    def _conditions(self) -> tuple[int, int]:
        return thor_goal_conditions(self.objects, self.names, self.changes, self.task.behavior, self.task.goal)

    def _observation(self) -> dict[str, Any]:
        ours = {object_id: name for name, object_id in self.names.items()}
        visible = sorted(ours[o["objectId"]] for o in self.objects if o.get("visible") and o["objectId"] in ours)
        held = next((ours[o["objectId"]] for o in self.objects if o.get("isPickedUp") and o["objectId"] in ours),
                    "nothing")
        text = f"holding {held} . you see {' , '.join(visible) or 'nothing'} ."
        return {"instruction": self.task.instruction, "observation": f"{self.feedback} {text}".strip(),
                "candidates": tuple(self.candidates)}

    def _info(self) -> dict[str, Any]:
        mask = np.zeros(MAX_CANDIDATES, dtype=np.int8)
        mask[: len(self.candidates)] = 1
        return {"goal_conditions": (self.met, self.total), "success": self.met == self.total, "action_mask": mask,
                "steps": self.steps, "fails": self.fails, "task_id": self.task.id}
