"""Seeded room layouts: a grid of floor cells with stations (furniture, appliances) around it.

Each scene type has 30 layouts, numbered 1–30 like AI2-THOR's floor plans; layouts 26–30
are held out as *unseen*. A layout depends only on its scene type and number, so every
machine builds the same room.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from functools import cache

from .catalogue import DESKLAMP_HOSTS, RECEPTACLE_TYPES, SCENE_SPECS, SCENE_TYPES, ReceptacleType, instance_name

LAYOUTS_PER_SCENE = 30
UNSEEN_LAYOUTS = tuple(range(26, 31))
SEEN_LAYOUTS = tuple(i for i in range(1, LAYOUTS_PER_SCENE + 1) if i not in UNSEEN_LAYOUTS)

# Directions: 0 north, 1 east, 2 south, 3 west; y grows southwards.
DIRECTIONS = ((0, -1), (1, 0), (0, 1), (-1, 0))
FACINGS = ("ahead", "right", "behind", "left")  # a turn relative to the agent's heading
Pose = tuple[int, int, int]
Cell = tuple[int, int]


@dataclass(frozen=True)
class Station:
    """A receptacle at a fixed cell, with the fixtures (faucet, desk lamp) operated from it."""

    name: str
    kind: str
    cell: Cell
    fixtures: tuple[str, ...] = ()
    type: ReceptacleType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # looked up once: every step reads it many times
        object.__setattr__(self, "type", RECEPTACLE_TYPES[self.kind])


@dataclass
class Layout:
    scene: str
    scene_type: str
    index: int
    width: int
    depth: int
    stations: tuple[Station, ...]
    _distances: dict[str, tuple[dict[Pose, int], dict[Pose, Pose]]] = field(default_factory=dict, repr=False)
    _goal_distances: dict[Pose, dict[Pose, int]] = field(default_factory=dict, repr=False)
    _bearings: dict[tuple[Pose, int], dict[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_name = {s.name: s for s in self.stations}
        self.by_cell = {s.cell: s for s in self.stations}
        self.blocked = frozenset(s.cell for s in self.stations if s.type.island)

    @property
    def split(self) -> str:
        return "unseen" if self.index in UNSEEN_LAYOUTS else "seen"

    def free(self, cell: Cell) -> bool:
        x, y = cell
        return 0 <= x < self.width and 0 <= y < self.depth and cell not in self.blocked

    def free_cells(self) -> list[Cell]:
        return [(x, y) for y in range(self.depth) for x in range(self.width) if self.free((x, y))]

    def faced_cell(self, pose: Pose) -> Cell:
        dx, dy = DIRECTIONS[pose[2]]
        return pose[0] + dx, pose[1] + dy

    def faced_station(self, pose: Pose) -> Station | None:
        return self.by_cell.get(self.faced_cell(pose))

    def moved(self, pose: Pose, verb: str) -> Pose | None:
        """The pose after MoveAhead/RotateLeft/RotateRight, or None if the way is blocked."""
        x, y, d = pose
        if verb == "RotateLeft":
            return x, y, (d - 1) % 4
        if verb == "RotateRight":
            return x, y, (d + 1) % 4
        nx, ny = self.faced_cell(pose)
        return (nx, ny, d) if self.free((nx, ny)) else None

    def poses(self, station: Station) -> list[Pose]:
        """Poses from which the station is directly ahead, one step away."""
        out = []
        for d, (dx, dy) in enumerate(DIRECTIONS):
            cell = (station.cell[0] - dx, station.cell[1] - dy)
            if self.free(cell):
                out.append((cell[0], cell[1], d))
        return out

    def bearings(self, pose: Pose, horizon: int) -> dict[str, str]:
        """How to reach every station from `pose` with the camera at `horizon` (cached).

        Per station: the bearing of its nearest access cell (ahead/behind/abreast,
        left/right/center), the steps to it, the way to face there, and where it is relative
        to the gaze, e.g. ``ahead left 3 face left below``. Only pose and horizon matter, so
        a layout computes each view once for every episode played in it.
        """
        key = (pose, horizon)
        if key not in self._bearings:
            x, y, d = pose
            fx, fy = DIRECTIONS[d]
            rx, ry = DIRECTIONS[(d + 1) % 4]
            out = {}
            for station in self.stations:
                gx, gy, gd = self.access(station.name)[pose]
                ahead, right = (gx - x) * fx + (gy - y) * fy, (gx - x) * rx + (gy - y) * ry
                forward = "ahead" if ahead > 0 else "behind" if ahead < 0 else "abreast"
                side = "right" if right > 0 else "left" if right < 0 else "center"
                height = station.type.height - horizon
                gaze = "above" if height < 0 else "below" if height > 0 else "level"
                out[station.name] = f"{forward} {side} {abs(ahead) + abs(right)} face {FACINGS[(gd - d) % 4]} {gaze}"
            self._bearings[key] = out
        return self._bearings[key]

    def distances(self, station_name: str) -> dict[Pose, int]:
        """Fewest MoveAhead/Rotate actions from every pose to face the station (cached)."""
        return self._search(station_name)[0]

    def access(self, station_name: str) -> dict[Pose, Pose]:
        """For every pose, the access pose to head for: the nearest, ties to the lowest index.

        The tie rule is stable along a shortest path, so the target shown to the agent does
        not switch mid-way and the expert pursues exactly the target it shows.
        """
        return self._search(station_name)[1]

    def distances_to(self, goal: Pose) -> dict[Pose, int]:
        """Fewest actions from every pose to one pose (cached)."""
        if goal not in self._goal_distances:
            self._goal_distances[goal] = self._reverse_bfs(goal)
        return self._goal_distances[goal]

    def _search(self, station_name: str) -> tuple[dict[Pose, int], dict[Pose, Pose]]:
        if station_name not in self._distances:
            goals = self.poses(self.by_name[station_name])
            maps = [self.distances_to(g) for g in goals]
            dist, origin = {}, {}
            for pose in maps[0]:
                best = min(range(len(goals)), key=lambda i: (maps[i].get(pose, 10**6), i))
                dist[pose], origin[pose] = maps[best][pose], goals[best]
            self._distances[station_name] = (dist, origin)
        return self._distances[station_name]

    def _reverse_bfs(self, goal: Pose) -> dict[Pose, int]:
        dist = {goal: 0}
        queue = deque([goal])
        while queue:
            x, y, d = pose = queue.popleft()
            dx, dy = DIRECTIONS[d]
            previous = [(x, y, (d + 1) % 4), (x, y, (d - 1) % 4)]  # undo RotateLeft / RotateRight
            if self.free((x - dx, y - dy)):
                previous.append((x - dx, y - dy, d))  # undo MoveAhead
            for p in previous:
                if p not in dist:
                    dist[p] = dist[pose] + 1
                    queue.append(p)
        return dist


def _wall_cells(width: int, depth: int) -> list[Cell]:
    north = [(x, -1) for x in range(width)]
    east = [(width, y) for y in range(depth)]
    south = [(x, depth) for x in range(width)]
    west = [(-1, y) for y in range(depth)]
    return north + east + south + west


def _connected(layout: Layout) -> bool:
    cells = layout.free_cells()
    seen, queue = {cells[0]}, deque([cells[0]])
    while queue:
        x, y = queue.popleft()
        for dx, dy in DIRECTIONS:
            n = (x + dx, y + dy)
            if layout.free(n) and n not in seen:
                seen.add(n)
                queue.append(n)
    return len(seen) == len(cells) and all(layout.poses(s) for s in layout.stations)


@cache
def make_layout(scene_type: str, index: int) -> Layout:
    """The layout numbered `index` (1–30) of `scene_type`, identical on every call."""
    if scene_type not in SCENE_TYPES:
        raise ValueError(f"unknown scene type {scene_type!r}; allowed: {', '.join(SCENE_TYPES)}")
    if not 1 <= index <= LAYOUTS_PER_SCENE:
        raise ValueError(f"layout index must be in 1..{LAYOUTS_PER_SCENE}, got {index}")
    spec = SCENE_SPECS[scene_type]
    rng = random.Random(f"household/{scene_type}/{index}")
    while True:
        width, depth = rng.randint(*spec.width), rng.randint(*spec.depth)
        kinds = [k for k, lo, hi in spec.stations for _ in range(rng.randint(lo, hi))]
        walls = _wall_cells(width, depth)
        islands = [(x, y) for x in range(1, width - 1) for y in range(1, depth - 1)]
        n_wall = sum(not RECEPTACLE_TYPES[k].island for k in kinds)
        if n_wall > len(walls) or sum(RECEPTACLE_TYPES[k].island for k in kinds) > len(islands):
            continue
        rng.shuffle(walls)
        rng.shuffle(islands)
        counts: dict[str, int] = {}
        stations = []
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + 1
            cell = islands.pop() if RECEPTACLE_TYPES[kind].island else walls.pop()
            fixtures = (instance_name("faucet", counts[kind]),) if RECEPTACLE_TYPES[kind].sink else ()
            stations.append(Station(instance_name(kind, counts[kind]), kind, cell, fixtures))
        hosts = [i for i, s in enumerate(stations) if s.kind in DESKLAMP_HOSTS]
        n_lamps = min(len(hosts), rng.randint(*spec.desklamps))
        for n, i in enumerate(sorted(rng.sample(hosts, n_lamps)), start=1):
            s = stations[i]
            stations[i] = Station(s.name, s.kind, s.cell, s.fixtures + (instance_name("desklamp", n),))
        layout = Layout(f"{scene_type}-{index:02d}", scene_type, index, width, depth, tuple(stations))
        if _connected(layout):
            return layout


def parse_scene(scene: str) -> tuple[str, int]:
    """Split a scene id such as ``kitchen-07`` into its scene type and layout number."""
    scene_type, _, number = scene.rpartition("-")
    if scene_type not in SCENE_TYPES or not number.isdigit():
        raise ValueError(f"bad scene id {scene!r}; expected '<scene type>-<number>', e.g. 'kitchen-07'")
    return scene_type, int(number)
