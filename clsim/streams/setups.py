"""Continual-learning setups: segments as filters over task fields, and their fixed orders.

Behavior-IL: one segment per task type (behavior), all environments of that type mixed in.
Behavior-IL-recurring: Behavior-IL whose first task type returns after the last (CORA's task cycles, one
recurrence), to measure forgetting per visit and how fast a type is relearned.
Environment-IL: one segment per environment (scene type), its task types balanced.
CVLN-instruction / CVLN-dialogue (navigation world): one segment per scene domain, all of one mode.
TWX-behavior-IL / TWX-environment-IL (TextWorldExpress): one segment per game, or per map size.
BabyAI-behavior-IL / BabyAI-environment-IL: one segment per skill (GoTo -> Pickup -> Open -> PutNext -> Unlock ->
Synth), or one room then several.
World-IL: one segment per world (household -> navigation -> TextWorldExpress), all through one text agent.
Behavior-IL's and Environment-IL's orders 1-5 are CL-ALFRED's five; the navigation setups' five are
clsim's own (order 1 from homes to ever less homely buildings, the others fixed permutations). Orders 6
and up are permutations seeded by the order number, for studies that want more than five.

A researcher's own setup is a YAML or JSON file (see `load_setup`): named segments, each a
filter over the fields that define a task (behavior, environment), optionally with orders.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..envs.core import Task, WorldFamily

FILTER_FIELDS = ("behavior", "environment")  # the Task fields a world generates tasks by
SETUP_FILE_SUFFIXES = (".yaml", ".yml", ".json")
Filter = Mapping[str, frozenset[str]]  # field -> allowed values; a missing field allows every value


@dataclass(frozen=True)
class Setup:
    name: str
    orders: dict[str, tuple[tuple[str, ...], ...]]  # per world family: order 1, 2, ... (1-based)
    axis: str | None = None  # built-in setups: the Task field a segment fixes; None: `filters` say
    filters: Mapping[str, Filter] = field(default_factory=dict)  # user setups: segment -> filter
    fixed: Filter = field(default_factory=dict)  # built-in setups: what every segment's tasks share
    definition: Mapping[str, Any] | None = None  # a setup file's content, kept in config.json for resume
    first_returns: bool = False  # every order ends with its first segment once more: a recurrence, for relearning
    segment_unit: str | None = None  # what a segment is called where the axis's usual name does not fit ("game")
    label_field: str | None = None  # the Task field that names a task's segment, where it is not `axis` (a world
    # sequence's segments are worlds: its behaviors, and each task's `family`)

    @property
    def unit(self) -> str:
        """What one segment is, for tables: 'task type', 'scene type', the setup's own name for it, or 'segment'."""
        return self.segment_unit or {"behavior": "task type", "environment": "scene type"}.get(self.axis or "",
                                                                                                 "segment")

    def segments(self, family: WorldFamily, order: int) -> tuple[str, ...]:
        """Canonical order `order` (1-based), or beyond those a permutation seeded by `order`; with `first_returns`,
        its first segment again at the end."""
        orders = self.orders.get(family.name)
        if orders is None:
            raise ValueError(f"setup {self.name!r} has no orders for world {family.name!r} "
                             f"(it has: {', '.join(sorted(self.orders))})")
        if order < 1:
            raise ValueError(f"order must be >= 1 for {self.name} (1..{len(orders)} fixed, higher ones seeded "
                             f"random permutations), got {order}")
        if order <= len(orders):
            segments = list(orders[order - 1])
        else:
            segments = sorted(dict.fromkeys(orders[0]))
            random.Random(f"{self.name}/{family.name}/order/{order}").shuffle(segments)
        return (*segments, segments[0]) if self.first_returns else tuple(segments)

    def filter(self, segment: str) -> Filter:
        return {**self.fixed, self.axis: frozenset([segment])} if self.axis else self.filters[segment]

    def cells(self, family: WorldFamily, segment: str) -> list[tuple[str, str]]:
        """The (behavior, environment) pairs a segment's tasks come from, in the world's order."""
        wanted = self.filter(segment)
        return [(b, e) for b in family.behaviors for e in family.environments
                if family.allowed(b, e) and _matches(wanted, {"behavior": b, "environment": e})]

    def label(self, task: Task) -> str:
        """The segment a task belongs to by its own fields (not by when it arrived)."""
        if self.axis:
            return getattr(task, self.label_field or self.axis)
        for segment, wanted in self.filters.items():
            if _matches(wanted, {"behavior": task.behavior, "environment": task.environment}):
                return segment
        raise ValueError(f"a {task.behavior} task in {task.environment} matches no segment of setup {self.name!r}")


def _matches(wanted: Filter, values: Mapping[str, str]) -> bool:
    return all(values[name] in allowed for name, allowed in wanted.items())


_B = {
    "look": "look_at_obj_in_light", "heat": "pick_heat_then_place_in_recep",
    "two_obj": "pick_two_obj_and_place", "cool": "pick_cool_then_place_in_recep",
    "simple": "pick_and_place_simple", "clean": "pick_clean_then_place_in_recep",
    "movable": "pick_and_place_with_movable_recep",
}
# CL-ALFRED's five orders (its embodied_split files rand1..rand5, task0..taskN).
_BEHAVIOR_ORDERS = (
    ("look", "heat", "two_obj", "cool", "simple", "clean", "movable"),
    ("simple", "two_obj", "clean", "heat", "look", "movable", "cool"),
    ("simple", "look", "movable", "clean", "two_obj", "cool", "heat"),
    ("movable", "two_obj", "look", "simple", "heat", "cool", "clean"),
    ("clean", "simple", "movable", "heat", "cool", "two_obj", "look"),
)
_ENVIRONMENT_ORDERS = (
    ("bedroom", "bathroom", "living_room", "kitchen"),
    ("bathroom", "bedroom", "kitchen", "living_room"),
    ("bedroom", "living_room", "bathroom", "kitchen"),
    ("kitchen", "bathroom", "living_room", "bedroom"),
    ("living_room", "bathroom", "kitchen", "bedroom"),
)

# Continual VLN (scene domains arrive over time): order 1 goes from homes to ever less homely buildings.
_DOMAIN_ORDERS = (
    ("home", "office", "hospital", "school", "mall", "hotel", "museum", "airport"),
    ("airport", "museum", "hotel", "mall", "school", "hospital", "office", "home"),
    ("school", "hotel", "home", "airport", "office", "museum", "hospital", "mall"),
    ("mall", "hospital", "museum", "office", "airport", "home", "hotel", "school"),
    ("hotel", "airport", "office", "home", "museum", "mall", "school", "hospital"),
)

# TextWorldExpress: its games in the order the suite lists them (order 1) and that order reversed (order 2); its
# map sizes from small to large and back.
_TWX_GAMES = ("cookingworld", "twc", "coin", "mapreader", "arithmetic", "sorting", "simonsays", "peckingorder")
_TWX_SIZES = (("small", "large"), ("large", "small"))
# BabyAI: its curriculum's skill order (order 1) and that order reversed; one room, then several, and back.
_BABYAI_SKILLS = ("goto", "pickup", "open", "putnext", "unlock", "synth")
_BABYAI_ROOMS = (("one-room", "multi-room"), ("multi-room", "one-room"))
# ScienceWorld: its topics in the paper's order (order 1) and reversed; its easy simplifications, then none, and back.
_SCIENCEWORLD_TOPICS = ("matter", "measurement", "electricity", "classification", "biology-1", "chemistry",
                        "biology-2", "biology-3", "forces", "biology-4")
_SCIENCEWORLD_LEVELS = (("easy", "standard"), ("standard", "easy"))
# TextWorld: its challenges in tw-make's order and reversed; easy settings, then hard, and back.
_TEXTWORLD_CHALLENGES = ("coin_collector", "treasure_hunter", "simple")
_TEXTWORLD_LEVELS = (("easy", "hard"), ("hard", "easy"))
# World-incremental: one agent meets the household world, then navigation, then TextWorldExpress (order 2: back).
WORLD_SEQUENCE = ("household", "navigation", "twx")

SETUPS: dict[str, Setup] = {
    "behavior-il": Setup("behavior-il", {world: tuple(tuple(_B[s] for s in o) for o in _BEHAVIOR_ORDERS)
                                         for world in ("household", "household-hl")}, axis="behavior"),
    "environment-il": Setup("environment-il", {world: _ENVIRONMENT_ORDERS for world in ("household", "household-hl")},
                            axis="environment"),
    "behavior-il-recurring": Setup("behavior-il-recurring", {
        world: tuple(tuple(_B[s] for s in o) for o in _BEHAVIOR_ORDERS) for world in ("household", "household-hl")},
        axis="behavior", first_returns=True),
    "cvln-instruction": Setup("cvln-instruction", {"navigation": _DOMAIN_ORDERS}, axis="environment",
                              fixed={"behavior": frozenset(["instruction"])}),
    "cvln-dialogue": Setup("cvln-dialogue", {"navigation": _DOMAIN_ORDERS}, axis="environment",
                           fixed={"behavior": frozenset(["dialogue"])}),
    "twx-behavior-il": Setup("twx-behavior-il", {"twx": (_TWX_GAMES, _TWX_GAMES[::-1])}, axis="behavior",
                             segment_unit="game"),
    "twx-environment-il": Setup("twx-environment-il", {"twx": _TWX_SIZES}, axis="environment",
                                segment_unit="map size"),
    "babyai-behavior-il": Setup("babyai-behavior-il", {"babyai": (_BABYAI_SKILLS, _BABYAI_SKILLS[::-1])},
                                axis="behavior", segment_unit="skill"),
    "babyai-environment-il": Setup("babyai-environment-il", {"babyai": _BABYAI_ROOMS}, axis="environment",
                                   segment_unit="room layout"),
    "scienceworld-behavior-il": Setup("scienceworld-behavior-il", {
        "scienceworld": (_SCIENCEWORLD_TOPICS, _SCIENCEWORLD_TOPICS[::-1])}, axis="behavior", segment_unit="topic"),
    "scienceworld-environment-il": Setup("scienceworld-environment-il", {"scienceworld": _SCIENCEWORLD_LEVELS},
                                         axis="environment", segment_unit="simplification level"),
    "textworld-behavior-il": Setup("textworld-behavior-il", {
        "textworld": (_TEXTWORLD_CHALLENGES, _TEXTWORLD_CHALLENGES[::-1])}, axis="behavior", segment_unit="challenge"),
    "textworld-environment-il": Setup("textworld-environment-il", {"textworld": _TEXTWORLD_LEVELS},
                                      axis="environment", segment_unit="difficulty level"),
    "world-il": Setup("world-il", {"+".join(WORLD_SEQUENCE): (WORLD_SEQUENCE, WORLD_SEQUENCE[::-1])},
                      axis="behavior", label_field="family", segment_unit="world"),
}


def setup_names() -> list[str]:
    return sorted(SETUPS)


def setup_world(name: str) -> str | None:
    """The one world a built-in setup is defined for (e.g. navigation for cvln-*), else None."""
    setup = SETUPS.get(name)
    return next(iter(setup.orders)) if setup is not None and len(setup.orders) == 1 else None


def is_setup_file(name: str) -> bool:
    return Path(name).suffix.lower() in SETUP_FILE_SUFFIXES


def get_setup(name: str, definition: Mapping[str, Any] | None = None) -> Setup:
    """A built-in setup by name, or a user setup from its file (or from the `definition` read from it)."""
    if name in SETUPS:
        return SETUPS[name]
    if definition is not None or is_setup_file(name):
        return setup_from_definition(definition if definition is not None else read_setup_file(Path(name)), name)
    raise ValueError(f"unknown setup {name!r}; available setups: {', '.join(setup_names())}, "
                     f"or a setup file ({', '.join(SETUP_FILE_SUFFIXES)})")


def read_setup_file(path: Path) -> dict[str, Any]:
    """The content of a YAML or JSON setup file, order 1 written out if the file leaves it to the segments' order
    (checked by `setup_from_definition`)."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"cannot read setup file {path}: {error.strerror or error}") from error
    try:
        content = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ValueError(f"setup file {path} is not valid {path.suffix[1:].upper()}: {error}") from None
    if not isinstance(content, dict):
        raise ValueError(f"setup file {path} must hold a mapping with 'segments', got {type(content).__name__}")
    if content.get("orders") is None and isinstance(content.get("segments"), Mapping):
        # Order 1 is the file's segment order; written out, it survives storage with sorted keys (config.json).
        content["orders"] = [[str(name) for name in content["segments"]]]
    return content


def setup_from_definition(definition: Mapping[str, Any], source: str) -> Setup:
    """Check a setup definition against its world and build the Setup.

    ``{"name": ..., "world": "household", "segments": {NAME: {FIELD: value or [values]}, ...},
    "orders": [[NAME, ...], ...]}``. Segments must be disjoint and non-empty; order 1 defaults to
    the order of `segments`.
    """
    from ..envs import get_family

    where = f"setup {source}"
    unknown = sorted(set(definition) - {"name", "world", "segments", "orders", "description"})
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: name, world, segments, orders, "
                         "description")
    family = get_family(str(definition.get("world", "household")))
    segments = definition.get("segments")
    if not isinstance(segments, Mapping) or not segments:
        raise ValueError(f"{where}: 'segments' must map segment names to filters, e.g. "
                         "{kitchen: {environment: kitchen}}")
    allowed = {"behavior": family.behaviors, "environment": family.environments}
    filters: dict[str, Filter] = {}
    for segment, spec in segments.items():
        segment = str(segment)
        if "+" in segment:
            raise ValueError(f"{where}: segment name {segment!r} may not contain '+'")
        if not isinstance(spec, Mapping) or not spec:
            raise ValueError(f"{where}: segment {segment!r} needs a filter over {', '.join(FILTER_FIELDS)}")
        wanted: dict[str, frozenset[str]] = {}
        for name, values in spec.items():
            if name not in allowed:
                raise ValueError(f"{where}: segment {segment!r} filters on {name!r}; "
                                 f"filterable task fields: {', '.join(FILTER_FIELDS)}")
            values = [values] if isinstance(values, str) else [str(v) for v in values]
            bad = sorted(set(values) - set(allowed[name]))
            if bad:
                raise ValueError(f"{where}: segment {segment!r}: unknown {name} {', '.join(bad)}; "
                                 f"{family.name} has: {', '.join(allowed[name])}")
            wanted[name] = frozenset(values)
        filters[segment] = wanted
    setup = Setup(str(definition.get("name", Path(source).stem)), {}, filters=filters, definition=dict(definition))
    owner: dict[tuple[str, str], str] = {}
    for segment in filters:
        cells = setup.cells(family, segment)
        if not cells:
            raise ValueError(f"{where}: segment {segment!r} matches no task {family.name} can make")
        for cell in cells:
            if cell in owner:
                raise ValueError(f"{where}: segments {owner[cell]!r} and {segment!r} overlap ({cell[0]} in "
                                 f"{cell[1]}); a task must belong to exactly one segment")
            owner[cell] = segment
    orders = [list(filters)] if definition.get("orders") is None else definition["orders"]
    if not isinstance(orders, list) or not all(isinstance(o, list) for o in orders) or not orders:
        raise ValueError(f"{where}: 'orders' must be a list of segment-name lists")
    for number, order in enumerate(orders, 1):
        names = [str(name) for name in order]
        if sorted(set(names)) != sorted(filters) or any(a == b for a, b in zip(names, names[1:])):
            raise ValueError(f"{where}: order {number} ({', '.join(names)}) must list every segment ({', '.join(filters)}) "
                             "at least once, never twice in a row (a segment named again later recurs)")
    return Setup(setup.name, {family.name: tuple(tuple(map(str, o)) for o in orders)}, filters=filters,
                 definition=dict(definition))
