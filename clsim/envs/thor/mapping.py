"""Mapping between clsim's household world and AI2-THOR: names, scenes, actions and goal conditions.

Pure functions over THOR's metadata dicts, so the mapping is tested without THOR. Our names are
ALFRED's object types lower-cased with an instance number ("countertop 2"); THOR's are CamelCase
types with object ids. Instances are numbered in objectId order within their type, so the same
THOR scene always gives the same names. Goal conditions are counted by the household world's own
`goal_conditions` on a view of THOR's state, so both backends judge a task by one definition;
state changes follow ALFRED's rules (heated = in a microwave when it is toggled on; cooled = in
a fridge when it is closed; cleaned = in a sink basin when its faucet is toggled on), tracked
from the actions taken, as ALFRED tracks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..household.catalogue import LAMP_TYPES, OBJECT_TYPES, RECEPTACLE_TYPES, instance_name, kind_of
from ..household.goals import goal_conditions
from ..household.world import HAND, INTERACTIONS, NAVIGATION, STOP

THOR_TYPES: dict[str, str] = {name.lower(): name for name in (
    "Apple", "Tomato", "Potato", "Lettuce", "Bread", "Egg", "Mug", "Cup", "Bowl", "Plate", "Pan", "Pot", "Knife",
    "ButterKnife", "Fork", "Spoon", "Spatula", "Ladle", "SaltShaker", "PepperShaker", "WineBottle", "DishSponge",
    "SoapBar", "Cloth", "HandTowel", "ToiletPaper", "SprayBottle", "SoapBottle", "Candle", "TissueBox", "Book",
    "CellPhone", "KeyChain", "CreditCard", "Pen", "Pencil", "RemoteControl", "Watch", "CD", "AlarmClock", "Vase",
    "Statue", "Newspaper", "Box", "Laptop", "Pillow", "BaseballBat", "BasketBall", "TeddyBear", "TennisRacket",
    "CounterTop", "DiningTable", "CoffeeTable", "SideTable", "Desk", "Dresser", "TVStand", "Shelf", "Cabinet",
    "Drawer", "Safe", "Fridge", "Microwave", "SinkBasin", "BathtubBasin", "GarbageCan", "Toilet", "CoffeeMachine",
    "TowelHolder", "ToiletPaperHanger", "Bed", "Sofa", "ArmChair", "Ottoman", "FloorLamp", "DeskLamp", "Faucet")}
# ALFRED's floor plans: kitchens 1-30, living rooms 201-230, bedrooms 301-330, bathrooms 401-430.
FLOORPLAN_BASE = {"kitchen": 0, "living_room": 200, "bedroom": 300, "bathroom": 400}
ROTATION_DEGREES, HORIZON_DEGREES = 90, 30  # ALFRED's RotateLeft/Right and LookUp/Down steps


def missing_types() -> list[str]:
    """Our object, receptacle and lamp types that have no THOR counterpart (empty: the table is complete)."""
    ours = {*OBJECT_TYPES, *RECEPTACLE_TYPES, *LAMP_TYPES, "faucet"}
    return sorted(ours - set(THOR_TYPES))


def floorplan(scene: str) -> str:
    """Our scene ``"kitchen-07"`` is THOR's ``"FloorPlan7"``; ``"bathroom-12"`` is ``"FloorPlan412"``."""
    scene_type, _, number = scene.rpartition("-")
    if scene_type not in FLOORPLAN_BASE or not number.isdigit() or not 1 <= int(number) <= 30:
        raise ValueError(f"no AI2-THOR floor plan for scene {scene!r}; expected <scene type>-<01..30> with scene "
                         f"type one of {', '.join(FLOORPLAN_BASE)}")
    return f"FloorPlan{FLOORPLAN_BASE[scene_type] + int(number)}"


def name_objects(objects: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Our instance name -> THOR objectId for every object of a type we know, numbered per type."""
    by_type: dict[str, list[str]] = {}
    for obj in objects:
        ours = obj["objectType"].lower()
        if ours in THOR_TYPES:
            by_type.setdefault(ours, []).append(obj["objectId"])
    return {instance_name(kind, i): object_id for kind, ids in by_type.items() for i, object_id in enumerate(sorted(ids), 1)}


def thor_action(action: str, names: Mapping[str, str]) -> dict[str, Any] | None:
    """The ``controller.step`` arguments for one of our low-level actions; None for Stop."""
    verb, _, target = action.partition(" ")
    if verb == STOP:
        return None
    if verb in ("RotateLeft", "RotateRight"):
        return {"action": verb, "degrees": ROTATION_DEGREES}
    if verb in ("LookUp", "LookDown"):
        return {"action": verb, "degrees": HORIZON_DEGREES}
    if verb in NAVIGATION:
        return {"action": verb}
    if verb not in INTERACTIONS:
        raise ValueError(f"unknown action {action!r}; verbs: {', '.join((*NAVIGATION, *INTERACTIONS, STOP))}")
    if target not in names:
        raise ValueError(f"{action!r} names no object of this THOR scene (known: {', '.join(sorted(names)) or 'none'})")
    step = {"action": verb, "objectId": names[target]}
    if verb == "PutObject":
        step["forceAction"] = True  # ALFRED places without THOR's visibility re-check of the receptacle
    return step


@dataclass
class StateChanges:
    """ALFRED's hot/cold/clean flags, set by the actions that cause them (THOR keeps no such history)."""

    hot: set[str] = field(default_factory=set)
    cold: set[str] = field(default_factory=set)
    clean: set[str] = field(default_factory=set)

    def after(self, action: str, objects: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> None:
        """Record the changes `action` (just taken successfully) caused, from THOR's metadata after it."""
        verb, _, target = action.partition(" ")
        kind = kind_of(target)
        if verb == "ToggleObjectOn" and kind == "microwave":
            self._mark(self.hot, names[target], objects, "heatable", drop=self.cold)
        elif verb == "CloseObject" and kind == "fridge":
            self._mark(self.cold, names[target], objects, "coolable", drop=self.hot)
        elif verb == "ToggleObjectOn" and kind == "faucet":
            for basin in (o["objectId"] for o in objects if o["objectType"] == "SinkBasin"):
                self._mark(self.clean, basin, objects, "cleanable")

    def _mark(self, flags: set[str], receptacle: str, objects: Sequence[Mapping[str, Any]], ability: str,
              drop: set[str] | None = None) -> None:
        for obj in objects:
            ours = obj["objectType"].lower()
            if receptacle in (obj.get("parentReceptacles") or ()) and getattr(OBJECT_TYPES.get(ours), ability, False):
                flags.add(obj["objectId"])
                if drop is not None:
                    drop.discard(obj["objectId"])


@dataclass
class _Thing:
    name: str
    kind: str
    location: str
    hot: bool
    cold: bool
    clean: bool
    sliced: bool


@dataclass
class _Station:
    kind: str


@dataclass
class _Layout:
    by_name: dict[str, _Station]


class ThorStateView:
    """THOR's metadata shaped like the household `World` that `goal_conditions` reads."""

    def __init__(self, objects: Sequence[Mapping[str, Any]], names: Mapping[str, str], changes: StateChanges) -> None:
        ours = {object_id: name for name, object_id in names.items()}
        receptacles = {object_id for object_id, name in ours.items() if kind_of(name) in RECEPTACLE_TYPES}
        self.things: dict[str, _Thing] = {}
        self.switched_on = {ours[o["objectId"]] for o in objects if o.get("isToggled") and o["objectId"] in ours}
        self.layout = _Layout({ours[r]: _Station(kind_of(ours[r])) for r in receptacles})
        for obj in objects:
            name = ours.get(obj["objectId"])
            if name is None or obj["objectId"] in receptacles or kind_of(name) in (*LAMP_TYPES, "faucet"):
                continue
            parents = [p for p in (obj.get("parentReceptacles") or ()) if p in ours]
            # THOR lists every enclosing receptacle; the innermost one that is an object (a bowl) wins, as in ALFRED.
            inner = next((p for p in parents if p not in receptacles), parents[0] if parents else "")
            location = HAND if obj.get("isPickedUp") else ours.get(inner, "")
            self.things[name] = _Thing(name, kind_of(name), location, obj["objectId"] in changes.hot,
                                       obj["objectId"] in changes.cold, obj["objectId"] in changes.clean,
                                       bool(obj.get("isSliced")))


def thor_goal_conditions(objects: Sequence[Mapping[str, Any]], names: Mapping[str, str], changes: StateChanges,
                         behavior: str, goal: Mapping[str, Any]) -> tuple[int, int]:
    """(met, total) of the task's ALFRED goal conditions on THOR's state, by the household world's definition."""
    return goal_conditions(ThorStateView(objects, names, changes), behavior, goal)  # type: ignore[arg-type]


def thor_candidates(objects: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[str]:
    """Our admissible low-level actions in THOR's state: navigation, then the interactions THOR's metadata
    allows with each visible object (as the household world offers them), then Stop."""
    ours = {object_id: name for name, object_id in names.items()}
    held = next((o for o in objects if o.get("isPickedUp")), None)
    knife = held is not None and held["objectType"] in ("Knife", "ButterKnife")
    actions = list(NAVIGATION)
    for obj in sorted((o for o in objects if o.get("visible") and o["objectId"] in ours), key=lambda o: ours[o["objectId"]]):
        name = ours[obj["objectId"]]
        if held is None and obj.get("pickupable"):
            actions.append(f"PickupObject {name}")
        if held is not None and obj.get("receptacle") and obj is not held and (obj.get("isOpen") or not obj.get("openable")):
            actions.append(f"PutObject {name}")
        if obj.get("openable"):
            actions.append(f"{'CloseObject' if obj.get('isOpen') else 'OpenObject'} {name}")
        if obj.get("toggleable"):
            actions.append(f"{'ToggleObjectOff' if obj.get('isToggled') else 'ToggleObjectOn'} {name}")
        if knife and obj.get("sliceable") and not obj.get("isSliced"):
            actions.append(f"SliceObject {name}")
    return [*actions, STOP]
