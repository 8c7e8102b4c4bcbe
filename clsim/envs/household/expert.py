"""The expert: a reactive planner over the world state.

From any state it picks the next subgoal by regressing the task's goal (what is still
missing, what is held, where the targets are), then reaches it with shortest-path
navigation over poses. Because it plans from the state rather than replaying a script, it
also gives the correct action after a learner's mistakes (``info["expert_action"]``).

Each action comes with the ALFRED-style high-level subgoal it serves (GotoLocation,
PickupObject, HeatObject, …); merged runs of subgoals become the step-by-step directives.

A decision is an :class:`Intent`: an action at a station, reached by shortest-path moves first. Every choice
reads only the objects, which no move changes, except putting a held thing away, which picks the nearest fitting
surface (`by_pose`). So an intent not chosen by pose stays the expert's choice until an interaction succeeds: a
rollout (:func:`clsim.envs.household.tasks.run_expert`) and an episode's advice follow it without deciding again,
and give the same actions as asking :func:`next_action` at every step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalogue import kind_of
from .goals import STATE_CHANGE, goal_conditions, in_receptacle, targets
from .layout import Station
from .world import HAND, STOP, Thing, World

Subgoal = tuple[str, ...]
Decision = tuple[str, Subgoal]
APPLIANCE = {"hot": "microwave", "cold": "fridge", "clean": "sinkbasin"}
VERB = {"hot": "heat", "cold": "cool", "clean": "clean"}
_NAV_ORDER = ("MoveAhead", "RotateLeft", "RotateRight")
_NEEDS_OPEN = ("PickupObject", "PutObject", "SliceObject")  # actions on what is inside a station


@dataclass(frozen=True)
class Intent:
    """`action` (serving `subgoal`) at `station`, after going there and opening it if the action needs it open;
    `action` at once when `station` is None. `by_pose`: chosen by where the agent stands, so decided again after
    a move."""

    action: str
    subgoal: Subgoal
    station: Station | None = None
    by_pose: bool = False

    def next(self, world: World) -> Decision:
        """The low-level action this intent takes from `world` now, with the subgoal it serves."""
        station = self.station
        if station is None:
            return self.action, self.subgoal
        nav = goto(world, station)
        if nav is not None:
            return nav, ("goto", station.kind)
        if self.action.startswith(_NEEDS_OPEN) and not world.is_open(station):
            if station.name in world.switched_on:  # a microwave left on opens only once switched off
                return f"ToggleObjectOff {station.name}", self.subgoal
            return f"OpenObject {station.name}", self.subgoal
        return self.action, self.subgoal


def _distance(world: World, station: Station) -> int:
    return world.layout.distances(station.name).get(world.pose, 10**6)


def _number(name: str) -> tuple[str, int]:
    kind, _, n = name.rpartition(" ")
    return kind, int(n)


def _first(stations: list[Station]) -> Station:
    """Ties between instances go to the lowest number: a rule a policy can read off the text."""
    return min(stations, key=lambda s: _number(s.name))


def _nearest(world: World, stations: list[Station]) -> Station:
    return min(stations, key=lambda s: (_distance(world, s), _number(s.name)))


def goto(world: World, station: Station) -> str | None:
    """Next navigation action towards facing `station` at its height; None once there."""
    layout = world.layout
    if layout.faced_station(world.pose) is station:
        height = station.type.height
        if world.horizon == height:
            return None
        return "LookUp" if world.horizon > height else "LookDown"
    dist = layout.distances_to(layout.access(station.name)[world.pose])
    here = dist[world.pose]
    for verb in _NAV_ORDER:
        pose = layout.moved(world.pose, verb)
        if pose is not None and dist.get(pose) == here - 1:
            return verb
    raise RuntimeError(f"no path to {station.name} from {world.pose}")  # layouts are connected


def _acquire(world: World, things: list[Thing]) -> Intent:
    """Pick up the nearest of `things`, preferring ones in plain sight."""
    if world.held is not None:
        return _put_away(world)
    thing = min(things, key=lambda t: (not world.is_open(world.station_of(t)), _number(t.name)))
    return Intent(f"PickupObject {thing.name}", ("pickup", thing.kind), world.station_of(thing))


def _deliver(world: World, kind: str) -> Intent:
    held = world.held
    stations = [s for s in world.layout.stations if s.kind == kind and s.type.accepts(held.type)]
    station = _first(stations)
    return Intent(f"PutObject {station.name}", ("put", held.kind, kind), station)


def _put_away(world: World, avoid: str | None = None) -> Intent:
    """Free the hand on the nearest plain surface that is not the goal receptacle."""
    held = world.held
    def fits(s: Station) -> bool:
        t = s.type
        return (t.accepts(held.type) and not (t.openable or t.heats or t.cools or t.sink)
                and s.kind != avoid)
    faced = world.reachable()
    if faced is not None and fits(faced):
        return Intent(f"PutObject {faced.name}", ("put", held.kind, faced.kind), by_pose=True)
    station = _nearest(world, [s for s in world.layout.stations if fits(s)])
    return Intent(f"PutObject {station.name}", ("put", held.kind, station.kind), station, by_pose=True)


def _process(world: World, thing: Thing, change: str) -> Intent:
    """Heat, cool or clean `thing`, which is inside its appliance, then take it out."""
    station = world.station_of(thing)
    subgoal = (VERB[change], thing.kind)
    on = station.name in world.switched_on
    if change == "clean":
        faucet = station.fixtures[0]
        if not thing.clean:
            return Intent(f"ToggleObjectOn {faucet}", subgoal, station)
        if faucet in world.switched_on:
            return Intent(f"ToggleObjectOff {faucet}", subgoal, station)
    elif not getattr(thing, change):
        if station.name in world.opened:
            return Intent(f"CloseObject {station.name}", subgoal, station)
        return Intent(f"ToggleObjectOn {station.name}", subgoal, station)
    elif on:
        return Intent(f"ToggleObjectOff {station.name}", subgoal, station)
    return Intent(f"PickupObject {thing.name}", subgoal, station)


def _change_then_place(world: World, behavior: str, goal: Mapping[str, Any]) -> Intent:
    change = STATE_CHANGE[behavior]
    cands, held = targets(world, goal), world.held
    if held in cands:
        if getattr(held, change):
            return _deliver(world, goal["receptacle"])
        appliance = _first([s for s in world.layout.stations if s.kind == APPLIANCE[change]])
        return Intent(f"PutObject {appliance.name}", (VERB[change], held.kind), appliance)
    in_appliance = [t for t in cands if t.location in world.layout.by_name
                    and world.layout.by_name[t.location].kind == APPLIANCE[change]]
    if in_appliance and held is None:
        return _process(world, in_appliance[0], change)
    changed = [t for t in cands if getattr(t, change)]
    return _acquire(world, changed or cands)


def _movable(world: World, goal: Mapping[str, Any]) -> Intent:
    cands, held, mrecep = targets(world, goal), world.held, goal["mrecep"]
    filled = [world.things[t.location] for t in cands
              if t.location in world.things and world.things[t.location].kind == mrecep]
    if held is not None and held in filled:
        return _deliver(world, goal["receptacle"])
    if held in cands:
        empty = [m for m in world.things.values() if m.kind == mrecep and m.location != HAND]
        m = min(empty, key=lambda m: _number(m.name))
        return Intent(f"PutObject {m.name}", ("put", held.kind, mrecep), world.station_of(m))
    return _acquire(world, filled or cands)


def next_action(world: World, behavior: str, goal: Mapping[str, Any]) -> Decision:
    """The expert's next low-level action from `world`, with the subgoal it serves."""
    return intent(world, behavior, goal).next(world)


class IntentFollower:
    """:func:`next_action` along one world's states, deciding again only when an interaction has changed the
    objects or the intent was chosen by pose."""

    def __init__(self, behavior: str, goal: Mapping[str, Any]) -> None:
        self.behavior, self.goal = behavior, goal
        self._intent: Intent | None = None
        self._changes = -1

    def __call__(self, world: World) -> Decision:
        if self._intent is None or self._intent.by_pose or world.changes != self._changes:
            self._intent, self._changes = intent(world, self.behavior, self.goal), world.changes
        return self._intent.next(world)


def intent(world: World, behavior: str, goal: Mapping[str, Any]) -> Intent:
    """What the expert means to do from `world`: regress the goal to the next subgoal and where it is done."""
    met, total = goal_conditions(world, behavior, goal)
    if met == total:
        return Intent(STOP, ("stop",))
    held, obj = world.held, goal["object"]
    if goal.get("sliced") and not targets(world, goal):
        if held is not None and held.type.knife:
            whole = [t for t in world.things.values() if t.kind == obj and not t.sliced]
            thing = min(whole, key=lambda t: _number(t.name))
            return Intent(f"SliceObject {thing.name}", ("slice", obj), world.station_of(thing))
        return _acquire(world, [t for t in world.things.values() if t.type.knife])
    cands = targets(world, goal)
    if held is not None and held.type.knife and held not in cands:
        return _put_away(world, avoid=goal.get("receptacle"))
    if behavior in STATE_CHANGE:
        return _change_then_place(world, behavior, goal)
    if behavior == "pick_and_place_with_movable_recep":
        return _movable(world, goal)
    if behavior == "look_at_obj_in_light":
        if held in cands:
            lamp = goal["lamp"]
            hosts = [s for s in world.layout.stations
                     if s.kind == lamp or any(kind_of(f) == lamp for f in s.fixtures)]
            station = _first(hosts)
            switch = station.name if station.kind == lamp else next(
                f for f in station.fixtures if kind_of(f) == lamp)
            return Intent(f"ToggleObjectOn {switch}", ("toggle", lamp), station)
        return _acquire(world, cands)
    receptacle = goal["receptacle"]
    if held in cands and not in_receptacle(world, held, receptacle):
        return _deliver(world, receptacle)
    return _acquire(world, [t for t in cands if not in_receptacle(world, t, receptacle)])
