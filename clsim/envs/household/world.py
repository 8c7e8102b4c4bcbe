"""The household world's state and physics: ALFRED's low-level actions on a grid room.

The agent stands on a floor cell facing one of four directions, with a camera horizon of
up/level/down. It can interact only with the station straight ahead and one step away,
at the station's height (ALFRED's visibility distance and LookUp/LookDown). State changes
follow ALFRED: heated = in a microwave when it is toggled on; cooled = in a fridge when it
is closed; cleaned = in a sink basin when its faucet is toggled on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

from .catalogue import OBJECT_TYPES, ObjectType
from .layout import Layout, Pose, Station

HAND = "hand"
NAVIGATION = ("MoveAhead", "RotateLeft", "RotateRight", "LookUp", "LookDown")
STOP = "Stop"
INTERACTIONS = (
    "PickupObject", "PutObject", "OpenObject", "CloseObject",
    "ToggleObjectOn", "ToggleObjectOff", "SliceObject",
)
ACTIONS = NAVIGATION + INTERACTIONS + (STOP,)
HORIZON_WORDS = {-30: "up", 0: "level", 30: "down"}


@dataclass
class Thing:
    """An object instance. `location` is a station name, a container's name, or HAND."""

    name: str
    kind: str
    location: str
    hot: bool = False
    cold: bool = False
    clean: bool = False
    sliced: bool = False

    @property
    def type(self) -> ObjectType:
        return OBJECT_TYPES[self.kind]

    def copy(self) -> Thing:
        """A copy by constructor: ~5x cheaper than ``copy.copy``, and worlds are copied at every replay."""
        return Thing(self.name, self.kind, self.location, self.hot, self.cold, self.clean, self.sliced)

    def states(self) -> list[str]:
        return [w for w, on in (("sliced", self.sliced), ("hot", self.hot), ("cold", self.cold),
                                ("clean", self.clean)) if on]

    def describe(self) -> str:
        return " ".join([self.name, *self.states()])


class World:
    """Mutable state of one household episode; `act` applies one low-level action."""

    def __init__(self, layout: Layout, pose: Pose, things: list[Thing]) -> None:
        self.layout = layout
        self.pose = pose
        self.horizon = 0
        self.things = {t.name: t for t in things}
        self.opened: set[str] = set()
        self.switched_on: set[str] = set()
        # Things the agent has seen: those in plain sight, and those inside a station it has opened. They stay
        # in its observation when a door closes on them, as a remembered object would; without that, the
        # closed microwave before heating and after it would look the same, and no memoryless policy
        # could tell whether to switch it on or open it.
        self.known = {t.name for t in things if (station := self.station_of(t)) is None or self.is_open(station)}
        self.changes = 0  # successful interactions so far: goal conditions and contents change only with it
        self._lines: tuple[int, str, str, list[tuple[str, str, str]]] | None = None  # render's cache, by `changes`

    def copy(self) -> World:
        clone = copy.copy(self)
        clone.things = {n: t.copy() for n, t in self.things.items()}
        clone.opened = set(self.opened)
        clone.switched_on = set(self.switched_on)
        clone.known = set(self.known)
        return clone

    # ----- queries -------------------------------------------------------------------
    @property
    def held(self) -> Thing | None:
        return next((t for t in self.things.values() if t.location == HAND), None)

    def inside(self, location: str) -> list[Thing]:
        return [t for t in self.things.values() if t.location == location]

    def nested(self, location: str) -> Iterator[Thing]:
        """Things at a location, and things in containers there."""
        for t in self.inside(location):
            yield t
            yield from self.nested(t.name)

    def station_of(self, thing: Thing) -> Station | None:
        """The station a thing rests at, through containers; None when held."""
        location = thing.location
        while location in self.things:
            location = self.things[location].location
        return self.layout.by_name.get(location)

    def is_open(self, station: Station) -> bool:
        return not station.type.openable or station.name in self.opened

    def reachable(self) -> Station | None:
        """The station straight ahead, one step away, at the camera's height."""
        station = self.layout.faced_station(self.pose)
        if station is not None and station.type.height == self.horizon:
            return station
        return None

    # ----- admissible actions ----------------------------------------------------------
    def interactions(self) -> list[str]:
        """Every interaction that would succeed now, in a fixed order."""
        station = self.reachable()
        if station is None:
            return []
        kind, name, out = station.type, station.name, []
        on = name in self.switched_on
        if kind.openable and name in self.opened:
            out.append(f"CloseObject {name}")
        elif kind.openable and not on:
            out.append(f"OpenObject {name}")
        if (kind.heats and name not in self.opened) or kind.lamp:
            out.append(f"ToggleObjectOff {name}" if on else f"ToggleObjectOn {name}")
        for fixture in station.fixtures:
            out.append(f"ToggleObjectOff {fixture}" if fixture in self.switched_on
                       else f"ToggleObjectOn {fixture}")
        if not self.is_open(station):
            return out
        held, present = self.held, list(self.nested(name))
        if held is None:
            out += [f"PickupObject {t.name}" for t in present]
        else:
            if held.type.knife:
                out += [f"SliceObject {t.name}" for t in present if t.type.sliceable and not t.sliced]
            if kind.accepts(held.type):
                out.append(f"PutObject {name}")
            if not held.type.container and held.type.size == 1:
                out += [f"PutObject {t.name}" for t in self.inside(name) if t.type.container]
        return out

    def candidates(self) -> list[str]:
        return [*NAVIGATION, *self.interactions(), STOP]

    # ----- transitions -----------------------------------------------------------------
    def act(self, action: str) -> str | None:
        """Apply one action. Returns None on success or the in-world failure message."""
        verb, _, target = action.partition(" ")
        if verb in NAVIGATION:
            return self._navigate(verb)
        if action not in self.interactions():
            return f"cannot {action}" if verb in INTERACTIONS else f"unknown action {action!r}"
        held = self.held
        self.changes += 1
        if verb == "PickupObject":
            self.things[target].location = HAND
        elif verb == "PutObject" and held is not None:
            held.location = target
            station = self.station_of(held)
            if station and station.type.sink and any(f in self.switched_on for f in station.fixtures):
                self._apply(station.name, "clean")
        elif verb == "OpenObject":
            self.opened.add(target)
            self.known.update(t.name for t in self.nested(target))
        elif verb == "CloseObject":
            self.opened.discard(target)
            if self.layout.by_name[target].type.cools:
                self._apply(target, "cold")
        elif verb == "ToggleObjectOn":
            self.switched_on.add(target)
            if target in self.layout.by_name and self.layout.by_name[target].type.heats:
                self._apply(target, "hot")
            elif target.startswith("faucet"):
                self._apply(self._host(target).name, "clean")
        elif verb == "ToggleObjectOff":
            self.switched_on.discard(target)
        elif verb == "SliceObject":
            self.things[target].sliced = True
        return None

    def _host(self, fixture: str) -> Station:
        return next(s for s in self.layout.stations if fixture in s.fixtures)

    def _apply(self, location: str, change: str) -> None:
        for thing in self.nested(location):
            if change == "hot" and thing.type.heatable:
                thing.hot, thing.cold = True, False
            elif change == "cold" and thing.type.coolable:
                thing.cold, thing.hot = True, False
            elif change == "clean" and thing.type.cleanable:
                thing.clean = True

    def _navigate(self, verb: str) -> str | None:
        if verb == "LookUp":
            if self.horizon <= -30:
                return "cannot look further up"
            self.horizon -= 30
        elif verb == "LookDown":
            if self.horizon >= 30:
                return "cannot look further down"
            self.horizon += 30
        else:
            pose = self.layout.moved(self.pose, verb)
            if pose is None:
                return "blocked"
            self.pose = pose
        return None

    # ----- text rendering --------------------------------------------------------------
    def _contents(self, location: str) -> str:
        return " , ".join(t.describe() for t in self.nested(location))

    def render(self) -> str:
        """What the agent perceives, one line per thing: itself, each station, each object it has seen.

        Every line has one shape: the thing's name, its bearing, its state, then where it is
        ("apple 1 ahead left 3 face ahead level hot in bowl 1 at counter 2"); a faucet or a desk lamp
        has a line of its own too ("desk lamp 1 ahead left 3 face ahead level off at desk 1").

        Every line carries what acting on it needs (where to stand, which way to face, how
        high to look), so a policy can decide from the line of the thing it wants. Only the
        bearings change as the agent moves, so the rest of every line is worked out once per
        state change (see :meth:`_lines_without_bearings`).
        """
        if self._lines is None or self._lines[0] != self.changes:
            self._lines = (self.changes, *self._lines_without_bearings())
        _, head, in_hand, lines = self._lines
        where = self.layout.bearings(self.pose, self.horizon)  # objects repeat their station's
        body = " . ".join([before + where[station] + after for before, station, after in lines])
        return f"{head}{HORIZON_WORDS[self.horizon]} . {in_hand}{body} ."

    def _lines_without_bearings(self) -> tuple[str, str, list[tuple[str, str, str]]]:
        """The text up to the horizon word, the lines of what the agent holds, and each other line as (words
        before, station, words after its bearing)."""
        held = self.held
        head = f"{self.layout.scene_type.replace('_', ' ')} . hand {'empty' if held is None else 'full'} looking "
        in_hand = ""
        if held is not None:  # the held thing and what it carries, each a line of the same shape: in hand, not at a station
            for t in self.nested(HAND):
                inside = f" in {t.location}" if t.location != HAND else ""
                in_hand += " ".join([t.name, "in hand", *t.states()]) + inside + " . "
        lines = []
        for s in self.layout.stations:
            words = []
            if s.type.openable:
                words.append("open" if s.name in self.opened else "closed")
            if s.type.heats or s.type.lamp:
                words.append("on" if s.name in self.switched_on else "off")
            lines.append((f"{s.name} ", s.name, "".join(" " + w for w in words)))
        for s in self.layout.stations:  # a faucet or desk lamp is a thing of its own, operated from its station
            lines += [(f"{f} ", s.name, f" {'on' if f in self.switched_on else 'off'} at {s.name}") for f in s.fixtures]
        for t in self.things.values():
            station = self.station_of(t)
            if station is None or t.name not in self.known:
                continue
            words = [*t.states(), *([f"in {t.location}"] if t.location != station.name else []), f"at {station.name}"]
            lines.append((f"{t.name} ", station.name, "".join(" " + w for w in words)))
        return head, in_hand, lines
