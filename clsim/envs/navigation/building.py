"""Procedural buildings as navigation graphs of viewpoints, like Matterport3D's connectivity graphs.

Rooms grow as cells on a grid from the entrance; doors join neighbouring rooms (a spanning tree
plus a few loops). Each room holds 1–3 viewpoints at metric positions, each beside a landmark of
its room type; viewpoints of a room see each other, and a door joins the closest pair of two
rooms. Distances are geodesic along the graph, in metres, as R2R's evaluation uses. A building
depends only on its domain and number; numbers 26–30 are held out as *unseen*.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from .domains import DOMAINS

ROOM_SIZE = 6.0  # metres per grid cell
BUILDINGS_PER_DOMAIN = 30
UNSEEN_BUILDINGS = tuple(range(26, 31))
SEEN_BUILDINGS = tuple(i for i in range(1, BUILDINGS_PER_DOMAIN + 1) if i not in UNSEEN_BUILDINGS)
_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))


@dataclass(frozen=True)
class Viewpoint:
    room: str  # the room's type, e.g. "kitchen"
    room_index: int
    position: tuple[float, float]  # metres
    landmark: str


@dataclass(frozen=True)
class Building:
    domain: str
    index: int
    viewpoints: tuple[Viewpoint, ...]
    neighbours: tuple[tuple[int, ...], ...]
    distances: tuple[tuple[float, ...], ...]  # geodesic, metres
    hops: tuple[tuple[int, ...], ...]  # edges on a shortest path

    @property
    def split(self) -> str:
        return "unseen" if self.index in UNSEEN_BUILDINGS else "seen"

    def euclidean(self, a: int, b: int) -> float:
        return math.dist(self.viewpoints[a].position, self.viewpoints[b].position)

    def next_hop(self, a: int, b: int) -> int:
        """The neighbour of `a` on a shortest path to `b` (ties broken by index, so the expert is deterministic)."""
        return min(self.neighbours[a], key=lambda n: (round(self.euclidean(a, n) + self.distances[n][b], 6), n))

    def path(self, a: int, b: int) -> list[int]:
        nodes = [a]
        while nodes[-1] != b:
            nodes.append(self.next_hop(nodes[-1], b))
        return nodes

    def path_length(self, nodes: list[int]) -> float:
        return sum(self.euclidean(x, y) for x, y in zip(nodes, nodes[1:]))


def parse_scene(scene: str) -> tuple[str, int]:
    """``"office-07"`` -> ("office", 7), with a clear error for anything else."""
    domain, _, number = scene.rpartition("-")
    if domain not in DOMAINS or not number.isdigit() or not 1 <= int(number) <= BUILDINGS_PER_DOMAIN:
        raise ValueError(f"unknown building {scene!r}; expected <domain>-<01..{BUILDINGS_PER_DOMAIN}> with domain "
                         f"one of {', '.join(DOMAINS)}")
    return domain, int(number)


@lru_cache(maxsize=512)
def make_building(domain: str, index: int) -> Building:
    rng = random.Random(f"navigation/building/{domain}/{index}")
    rooms = _grow_rooms(rng, rng.randint(7, 11))
    doors = _doors(rooms, rng)
    types = list(DOMAINS[domain])
    room_types = [types[0]] + [rng.choice(types[1:]) for _ in rooms[1:]]
    viewpoints: list[Viewpoint] = []
    members: list[list[int]] = []
    for r, (cx, cy) in enumerate(rooms):
        landmarks = list(DOMAINS[domain][room_types[r]])
        rng.shuffle(landmarks)
        members.append([])
        for k in range(rng.randint(1, min(3, len(landmarks)))):
            position = _free_position(rng, cx, cy, [viewpoints[i].position for i in members[r]])
            members[r].append(len(viewpoints))
            viewpoints.append(Viewpoint(room_types[r], r, position, landmarks[k]))
    edges: set[tuple[int, int]] = {(a, b) for m in members for a in m for b in m if a < b}
    for r, s in doors:
        a, b = min(((a, b) for a in members[r] for b in members[s]),
                   key=lambda p: math.dist(viewpoints[p[0]].position, viewpoints[p[1]].position))
        edges.add((min(a, b), max(a, b)))
    neighbours = [sorted({b for a, b in edges if a == v} | {a for a, b in edges if b == v})
                  for v in range(len(viewpoints))]
    distances, hops = _all_pairs(viewpoints, neighbours)
    return Building(domain, index, tuple(viewpoints), tuple(tuple(n) for n in neighbours), distances, hops)


def _grow_rooms(rng: random.Random, count: int) -> list[tuple[int, int]]:
    cells = [(0, 0)]
    while len(cells) < count:
        x, y = rng.choice(cells)
        dx, dy = rng.choice(_STEPS)
        if (x + dx, y + dy) not in cells:
            cells.append((x + dx, y + dy))
    return cells


def _doors(rooms: list[tuple[int, int]], rng: random.Random) -> list[tuple[int, int]]:
    """A spanning tree over adjacent rooms (breadth-first from the entrance) plus a quarter of the rest."""
    index = {cell: i for i, cell in enumerate(rooms)}
    adjacent = sorted({(min(i, index[(x + dx, y + dy)]), max(i, index[(x + dx, y + dy)]))
                       for i, (x, y) in enumerate(rooms) for dx, dy in _STEPS if (x + dx, y + dy) in index})
    reached, doors, frontier = {0}, [], [0]
    while frontier:
        current = frontier.pop(0)
        for a, b in adjacent:
            other = b if a == current else a if b == current else None
            if other is not None and other not in reached:
                reached.add(other)
                doors.append((a, b))
                frontier.append(other)
    return doors + [pair for pair in adjacent if pair not in doors and rng.random() < 0.25]


def _free_position(rng: random.Random, cx: int, cy: int, taken: list[tuple[float, float]]) -> tuple[float, float]:
    """A point inside the room, at least 2 m from the room's other viewpoints."""
    while True:
        point = (round(cx * ROOM_SIZE + rng.uniform(0.8, ROOM_SIZE - 0.8), 2),
                 round(cy * ROOM_SIZE + rng.uniform(0.8, ROOM_SIZE - 0.8), 2))
        if all(math.dist(point, other) >= 2.0 for other in taken):
            return point


def _all_pairs(viewpoints: list[Viewpoint], neighbours: list[list[int]]
               ) -> tuple[tuple[tuple[float, ...], ...], tuple[tuple[int, ...], ...]]:
    """Geodesic distances and hop counts between all viewpoints (Floyd–Warshall; buildings have < 40)."""
    n = len(viewpoints)
    dist = [[0.0 if a == b else math.inf for b in range(n)] for a in range(n)]
    hops = [[0 if a == b else n for b in range(n)] for a in range(n)]
    for a in range(n):
        for b in neighbours[a]:
            dist[a][b], hops[a][b] = math.dist(viewpoints[a].position, viewpoints[b].position), 1
    for k in range(n):
        for a in range(n):
            for b in range(n):
                if dist[a][k] + dist[k][b] < dist[a][b] - 1e-9:
                    dist[a][b], hops[a][b] = dist[a][k] + dist[k][b], hops[a][k] + hops[k][b]
    return tuple(tuple(round(d, 6) for d in row) for row in dist), tuple(tuple(row) for row in hops)
