"""Making household tasks: goal sampling, object placement, language, and expert replay.

A task is replayed from ``(scene, goal, seed)`` alone: :func:`build_world` places the same
objects and the agent at the same pose every time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..core import Demonstration, Step, Task
from .catalogue import (
    LAMP_TYPES,
    OBJECT_TYPES,
    RECEPTACLE_TYPES,
    SCENE_TYPES,
    TASK_SCENES,
    TASK_TYPES,
    ObjectType,
    instance_name,
    kind_of,
    spoken,
)
from .expert import APPLIANCE, IntentFollower
from .goals import STATE_CHANGE, goal_conditions
from .language import instruction_for, steps_for, template_words
from .layout import LAYOUTS_PER_SCENE, SEEN_LAYOUTS, UNSEEN_LAYOUTS, Layout, Station, make_layout, parse_scene
from .world import ACTIONS, HORIZON_WORDS, STOP, Thing, World

FAMILY = "household"
R = TypeVar("R")
EXPERT_STEP_LIMIT = 200
_SLICE_BEHAVIORS = ("pick_and_place_simple", *STATE_CHANGE)


def _plain(station: Station) -> bool:
    """A surface where things lie in plain sight and nothing changes them."""
    t = station.type
    return not (t.openable or t.heats or t.cools or t.sink or t.lamp or t.only)


def _object_ok(behavior: str, obj: ObjectType, scene_type: str) -> bool:
    if scene_type not in obj.scenes or obj.knife:
        return False
    if behavior in STATE_CHANGE:
        return getattr(obj, {"hot": "heatable", "cold": "coolable", "clean": "cleanable"}[
            STATE_CHANGE[behavior]]) and obj.size <= 2
    if behavior == "pick_and_place_with_movable_recep":
        return obj.size == 1 and not obj.container
    return True


def sample_goal(behavior: str, layout: Layout, rng: random.Random) -> dict[str, Any]:
    """Goal parameters for `behavior` that this layout can satisfy."""
    kinds = sorted({s.kind for s in layout.stations})
    plain = sorted({s.kind for s in layout.stations if _plain(s)})
    objects = [o for o in OBJECT_TYPES.values() if _object_ok(behavior, o, layout.scene_type)]
    obj = rng.choice([o for o in objects if any(s.type.accepts(o) for s in layout.stations if _plain(s))])
    goal: dict[str, Any] = {"object": obj.name}
    if behavior == "look_at_obj_in_light":
        lamps = sorted({"floorlamp" for s in layout.stations if s.kind == "floorlamp"}
                       | {"desklamp" for s in layout.stations if any(kind_of(f) == "desklamp" for f in s.fixtures)})
        goal["lamp"] = rng.choice(lamps)
        return goal
    carried = obj
    if behavior == "pick_and_place_with_movable_recep":
        movables = [o for o in OBJECT_TYPES.values() if o.container and layout.scene_type in o.scenes
                    and any(s.type.accepts(o) for s in layout.stations if _plain(s))]
        carried = rng.choice(movables)
        goal["mrecep"] = carried.name
    appliance = APPLIANCE.get(STATE_CHANGE.get(behavior, ""))

    def leaves_room(kind: str) -> bool:  # the target and the movable must start elsewhere
        return all(any(RECEPTACLE_TYPES[p].accepts(o) and p != kind for p in plain) for o in {obj, carried})

    receptacles = [k for k in kinds if k != appliance and RECEPTACLE_TYPES[k].accepts(carried)
                   and leaves_room(k)]
    if not receptacles:
        raise ValueError(f"{layout.scene} has no receptacle for {behavior} with a {obj.name}")
    goal["receptacle"] = rng.choice(receptacles)
    if behavior in _SLICE_BEHAVIORS and obj.sliceable and layout.scene_type == "kitchen":
        goal["sliced"] = rng.random() < 0.3
    return goal


def build_world(scene: str, behavior: str, goal: Mapping[str, Any], seed: int) -> World:
    """Place objects and the agent for a task; the same arguments give the same world."""
    layout = make_layout(*parse_scene(scene))
    rng = random.Random(f"{FAMILY}/place/{scene}/{behavior}/{seed}")
    things: list[Thing] = []
    counts: dict[str, int] = {}

    def place(kind: str, stations: list[Station]) -> None:
        options = [s for s in stations if s.type.accepts(OBJECT_TYPES[kind])]
        counts[kind] = counts.get(kind, 0) + 1
        things.append(Thing(instance_name(kind, counts[kind]), kind, rng.choice(options).name))

    receptacle = goal.get("receptacle")
    visible = [s for s in layout.stations if _plain(s) and s.kind != receptacle]
    required = [goal["object"]] * (2 if behavior == "pick_two_obj_and_place" else 1)
    required += [goal["object"]] * rng.randint(0, 1)
    if goal.get("sliced"):
        required.append(rng.choice(["knife", "butterknife"]))
    if "mrecep" in goal:
        required.append(goal["mrecep"])
    for kind in required:
        place(kind, visible)
    reserved = {goal["object"], goal.get("mrecep")}
    pool = [o.name for o in OBJECT_TYPES.values() if layout.scene_type in o.scenes and o.name not in reserved]
    anywhere = [s for s in layout.stations if not (s.type.lamp or s.type.heats or s.type.sink)]
    for kind in rng.sample(pool, min(len(pool), rng.randint(4, 8))):
        place(kind, anywhere)
    x, y = rng.choice(layout.free_cells())
    return World(layout, (x, y, rng.randrange(4)), things)


def run_expert(world: World, behavior: str, goal: Mapping[str, Any],
               record: Callable[[World], R] | None = None) -> list[tuple[R | None, str, tuple]]:
    """Roll the expert out from `world` (mutated) to Stop: (``record(state before)``, action, subgoal).

    `record` takes what a caller needs from each state (its text, its candidates) at the time,
    so the rollout never copies the world; without it only actions and subgoals are kept.
    """
    trace: list[tuple[R | None, str, tuple]] = []
    expert = IntentFollower(behavior, goal)
    for _ in range(EXPERT_STEP_LIMIT):
        action, subgoal = expert(world)
        trace.append((record(world) if record else None, action, subgoal))
        if action == STOP:
            return trace
        failure = world.act(action)
        if failure is not None:
            raise RuntimeError(f"expert action {action!r} failed: {failure}")
    raise RuntimeError(f"expert did not finish {behavior} {dict(goal)} in {EXPERT_STEP_LIMIT} steps")


def make_task(behavior: str, scene: str, split: str, seed: int) -> Task:
    """A solvable task of `behavior` in `scene`, with language, from `seed`."""
    return plan_task(behavior, scene, split, seed).task


@dataclass(frozen=True)
class PlannedTask:
    """A new task with what proving it solvable produced: its starting world and the expert's length."""

    task: Task
    start: World  # as build_world makes it; copy before playing
    expert_length: int


def plan_task(behavior: str, scene: str, split: str, seed: int) -> PlannedTask:
    """The task of :func:`make_task`, its starting world and the length of the expert run that solved it."""
    layout = make_layout(*parse_scene(scene))
    rng = random.Random(f"{FAMILY}/task/{behavior}/{scene}/{seed}")
    goal = sample_goal(behavior, layout, rng)
    start = build_world(scene, behavior, goal, seed)
    world = start.copy()
    trace = run_expert(world, behavior, goal)
    met, total = goal_conditions(world, behavior, goal)
    assert met == total, "expert reached Stop without meeting the goal"
    task = Task(
        family=FAMILY, behavior=behavior, environment=layout.scene_type, scene=scene, split=split,
        goal=goal, instruction=instruction_for(behavior, goal, rng),
        steps=tuple(steps_for([s for _, _, s in trace], rng)), seed=seed,
    )
    return PlannedTask(task, start, len(trace))


def plan_random_task(rng: np.random.Generator) -> PlannedTask:
    """A training task of a random type, in a random seen layout of a scene type where that type occurs."""
    behavior = TASK_TYPES[rng.integers(len(TASK_TYPES))]
    scenes = TASK_SCENES[behavior]
    scene = f"{scenes[rng.integers(len(scenes))]}-{SEEN_LAYOUTS[rng.integers(len(SEEN_LAYOUTS))]:02d}"
    return plan_task(behavior, scene, "train", int(rng.integers(2**31)))


def make_tasks(behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
    """`count` tasks of one type in one scene type, from seen or unseen layouts."""
    if behavior not in TASK_TYPES:
        raise ValueError(f"unknown task type {behavior!r}; allowed: {', '.join(TASK_TYPES)}")
    if environment not in TASK_SCENES[behavior]:
        raise ValueError(f"{behavior} does not occur in {environment!r}; it occurs in "
                         f"{', '.join(TASK_SCENES[behavior])}")
    layouts = UNSEEN_LAYOUTS if split == "unseen" else SEEN_LAYOUTS
    rng = random.Random(f"{FAMILY}/tasks/{behavior}/{environment}/{split}/{seed}")
    return [make_task(behavior, f"{environment}-{rng.choice(layouts):02d}", split, rng.randrange(2**31))
            for _ in range(count)]


def demonstrate(task: Task) -> Demonstration:
    """Replay the expert on `task`, recording what it saw and chose at every step."""
    world = build_world(task.scene, task.behavior, task.goal, task.seed)
    seen = run_expert(world, task.behavior, task.goal, lambda w: (w.render(), tuple(w.candidates())))
    return Demonstration(task, tuple(Step(text, candidates, candidates.index(action))
                                     for (text, candidates), action, _ in seen))


def vocabulary() -> list[str]:
    """Every word the household world can emit, for building a word-level tokenizer."""
    words = set(template_words()) | set(ACTIONS) | set(HORIZON_WORDS.values())
    words |= {w for o in OBJECT_TYPES for w in (o, *spoken(o).split())}
    words |= {w for s in SCENE_TYPES for w in s.split("_")}
    words |= {w for r in (*RECEPTACLE_TYPES, *LAMP_TYPES, "faucet") for w in (r, *spoken(r).split())}
    words |= {str(i) for i in range(LAYOUTS_PER_SCENE + 1)}
    words |= {"hand", "empty", "full", "looking", "ahead", "behind", "abreast", "center", "left", "right", "face",
              "above", "below", "level", "at", "with", "open", "closed",
              "on", "off", "sliced", "hot", "cold", "clean", "cannot", "blocked", "further", "up", "down",
              ".", ",", ":", "(", ")", "failed"}
    return sorted(words)
