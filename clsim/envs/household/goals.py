"""ALFRED's goal conditions for the seven task types, counted on a world state.

Counts: simple 1; two_obj 2; look 2 (object held, lamp on); heat/cool/clean 3 (object in
receptacle, object changed, changed object in receptacle); movable 3 (object in movable
receptacle, movable receptacle in receptacle, both at once). A sliced target adds one
condition: the object is sliced. Success is all conditions met.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .catalogue import kind_of
from .world import HAND, Thing, World

STATE_CHANGE = {
    "pick_clean_then_place_in_recep": "clean",
    "pick_heat_then_place_in_recep": "hot",
    "pick_cool_then_place_in_recep": "cold",
}


def targets(world: World, goal: Mapping[str, Any]) -> list[Thing]:
    """Objects that can satisfy the goal: the right type, and sliced when asked."""
    return [t for t in world.things.values()
            if t.kind == goal["object"] and (t.sliced or not goal.get("sliced"))]


def in_receptacle(world: World, thing: Thing, kind: str) -> bool:
    """Directly in or on a station of `kind` (not through a container)."""
    station = world.layout.by_name.get(thing.location)
    return station is not None and station.kind == kind


def lamp_on(world: World, lamp: str) -> bool:
    return any(kind_of(name) == lamp for name in world.switched_on)


# The skill each goal condition tests (per-skill success and forgetting over a stream).
SKILL_OF_CHANGE = {"clean": "clean", "hot": "heat", "cold": "cool"}


def named_goal_conditions(world: World, behavior: str, goal: Mapping[str, Any]) -> tuple[tuple[str, bool], ...]:
    """Each goal condition of `behavior` with goal parameters `goal`, as (the skill it tests, met): put, pick up,
    toggle, heat, cool, clean, slice."""
    cands = targets(world, goal)
    receptacle = goal.get("receptacle")
    if behavior == "pick_and_place_simple":
        named: tuple[tuple[str, bool], ...] = (("put", any(in_receptacle(world, t, receptacle) for t in cands)),)
    elif behavior == "pick_two_obj_and_place":
        placed = sum(in_receptacle(world, t, receptacle) for t in cands)
        named = (("put", placed >= 1), ("put", placed >= 2))
    elif behavior == "look_at_obj_in_light":
        named = (("pick up", any(t.location == HAND for t in cands)), ("toggle", lamp_on(world, goal["lamp"])))
    elif behavior in STATE_CHANGE:
        change = STATE_CHANGE[behavior]
        placed_things = [t for t in cands if in_receptacle(world, t, receptacle)]
        named = (("put", bool(placed_things)), (SKILL_OF_CHANGE[change], any(getattr(t, change) for t in cands)),
                 ("put", any(getattr(t, change) for t in placed_things)))
    elif behavior == "pick_and_place_with_movable_recep":
        mrecep = goal["mrecep"]
        in_m = [t for t in cands if t.location in world.things
                and world.things[t.location].kind == mrecep]
        placed_m = [m for m in world.things.values() if m.kind == mrecep and in_receptacle(world, m, receptacle)]
        both = [t for t in in_m if world.things[t.location] in placed_m]
        named = (("put", bool(in_m)), ("put", bool(placed_m)), ("put", bool(both)))
    else:
        raise ValueError(f"unknown task type {behavior!r}")
    if goal.get("sliced"):
        named += (("slice", bool(cands)),)
    return named


def goal_conditions(world: World, behavior: str, goal: Mapping[str, Any]) -> tuple[int, int]:
    """(conditions met, conditions in total) for `behavior` with goal parameters `goal`."""
    named = named_goal_conditions(world, behavior, goal)
    return sum(met for _, met in named), len(named)


def skill_counts(named: tuple[tuple[str, bool], ...]) -> dict[str, tuple[int, int]]:
    """Per skill, (conditions met, conditions) among `named`."""
    counts: dict[str, tuple[int, int]] = {}
    for skill, met in named:
        done, total = counts.get(skill, (0, 0))
        counts[skill] = (done + int(met), total + 1)
    return counts
