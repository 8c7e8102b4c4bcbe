"""ALFWorld-like high-level actions on the household world, compiled to ALFRED's low-level ones.

"go to counter 1" walks there (shortest path, facing it at its height); every low-level
interaction has a high-level name ("take apple 1 from counter 1", "put apple 1 in/on
fridge 1", "open", "close", "turn on", "turn off", "slice apple 1 with knife 1"); and holding a
changeable object at its appliance offers ALFWorld's one-step "heat/cool/clean X with Y", which
runs ALFRED's sequence (put it in, close, switch on and off, open, take it out). A macro runs on
a copy of the world and is adopted only if every step succeeds, so a failed high-level action
leaves the world as it was. Goal conditions are the low level's, unchanged.

The high-level expert follows the low-level expert: it walks to wherever that expert would act
next, and names its next interaction, or the macro that interaction begins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expert import APPLIANCE, VERB, goto, next_action
from .goals import targets
from .world import NAVIGATION, STOP, World

GO, HIGH_STOP = "go to", "stop"
ACTION_CLASSES = ("go", "take", "put", "open", "close", "turn", "slice", "heat", "cool", "clean", HIGH_STOP)
WORDS = {*ACTION_CLASSES, "to", "from", "in", "/", "on", "off", "with"}  # besides object and station names
_MAX_WALK = 200


def _name(low: str, world: World) -> str:
    """The high-level name of a low-level interaction at the reached station."""
    verb, _, target = low.partition(" ")
    station, held = world.reachable(), world.held
    return {"PickupObject": lambda: f"take {target} from {station.name}",
            "PutObject": lambda: f"put {held.name} in/on {target}",
            "OpenObject": lambda: f"open {target}", "CloseObject": lambda: f"close {target}",
            "ToggleObjectOn": lambda: f"turn on {target}", "ToggleObjectOff": lambda: f"turn off {target}",
            "SliceObject": lambda: f"slice {target} with {held.name}"}[verb]()


def _macro(world: World) -> tuple[str, list[str]] | None:
    """ALFWorld's heat/cool/clean of the held object at the reached appliance, as low-level actions."""
    station, held = world.reachable(), world.held
    if station is None or held is None:
        return None
    kind, name = station.type, station.name
    for change, appliance in APPLIANCE.items():
        able = getattr(held.type, {"hot": "heatable", "cold": "coolable", "clean": "cleanable"}[change])
        if station.kind != appliance or not able or not kind.accepts(held.type):
            continue
        on = name in world.switched_on
        opening = [] if world.is_open(station) else [*([f"ToggleObjectOff {name}"] if on else []), f"OpenObject {name}"]
        if change == "hot":
            steps = [*opening, f"PutObject {name}", f"CloseObject {name}", f"ToggleObjectOn {name}",
                     f"ToggleObjectOff {name}", f"OpenObject {name}", f"PickupObject {held.name}", f"CloseObject {name}"]
        elif change == "cold":
            steps = [*opening, f"PutObject {name}", f"CloseObject {name}", f"OpenObject {name}",
                     f"PickupObject {held.name}", f"CloseObject {name}"]
        else:
            faucet = station.fixtures[0]
            running = faucet in world.switched_on  # then putting it in cleans it already
            steps = [f"PutObject {name}", *([] if running else [f"ToggleObjectOn {faucet}"]),
                     f"ToggleObjectOff {faucet}", f"PickupObject {held.name}"]
        return f"{VERB[change]} {held.name} with {name}", steps
    return None


def high_level_actions(world: World) -> dict[str, tuple[str, Any]]:
    """Admissible high-level action text -> ("go", station) or ("do", low-level actions), in a fixed order."""
    reached = world.reachable()
    actions: dict[str, tuple[str, Any]] = {f"{GO} {s.name}": ("go", s) for s in world.layout.stations if s is not reached}
    macro = _macro(world)
    if macro is not None:
        actions[macro[0]] = ("do", macro[1])
    for low in world.interactions():
        actions.setdefault(_name(low, world), ("do", [low]))
    actions[HIGH_STOP] = ("stop", None)
    return actions


def execute(world: World, kind: str, payload: Any) -> tuple[World, str | None]:
    """Run one high-level action; returns the resulting world (the same one if it failed) and the failure."""
    trial = world.copy()
    if kind == "go":
        for _ in range(_MAX_WALK):
            step = goto(trial, payload)
            if step is None:
                return trial, None
            trial.act(step)
        return world, f"cannot reach {payload.name}"
    for low in payload:
        failure = trial.act(low)
        if failure is not None:
            return world, failure
    return trial, None


def high_level_expert(world: World, behavior: str, goal: Mapping[str, Any]) -> str:
    """The expert's next high-level action (see the module doc)."""
    low, subgoal = next_action(world, behavior, goal)
    if low == STOP:
        return HIGH_STOP
    if low in NAVIGATION:
        walker = world.copy()
        for _ in range(_MAX_WALK):
            if low not in NAVIGATION:
                return f"{GO} {walker.reachable().name}"
            walker.act(low)
            low, subgoal = next_action(walker, behavior, goal)
        raise RuntimeError("the expert walked without arriving")  # layouts are connected
    macro = _macro(world)
    if macro is not None and subgoal[0] in VERB.values() and world.held in targets(world, goal):
        return macro[0]
    return _name(low, world)
