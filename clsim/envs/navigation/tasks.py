"""Navigation tasks: start and goal viewpoints in a building, the instruction, and expert replay.

A task is replayed from ``(scene, goal, seed)`` alone. R2R-like ``instruction`` tasks describe the
whole shortest path (3–6 moves); CVDN-like ``dialogue`` tasks only name the target, farther away
(5–9 moves), and the agent may ask a guide for the next moves.
"""

from __future__ import annotations

import random

from ..core import Task
from .building import SEEN_BUILDINGS, UNSEEN_BUILDINGS, make_building, parse_scene
from .domains import DOMAINS
from .language import instruction_steps, join, target_hint, template_words

FAMILY = "navigation"
MODES = ("instruction", "dialogue")
SUCCESS_RADIUS = 3.0  # metres, R2R's success threshold
HINT_MOVES = 3  # moves of the shortest path the guide describes per question
_HOPS = {"instruction": (3, 6), "dialogue": (5, 9)}


def make_task(behavior: str, scene: str, split: str, seed: int) -> Task:
    if behavior not in MODES:
        raise ValueError(f"unknown navigation mode {behavior!r}; allowed: {', '.join(MODES)}")
    domain, index = parse_scene(scene)
    building = make_building(domain, index)
    rng = random.Random(f"{FAMILY}/task/{behavior}/{scene}/{seed}")
    low, high = _HOPS[behavior]
    n = len(building.viewpoints)
    pairs = [(a, b) for a in range(n) for b in range(n)
             if building.distances[a][b] > SUCCESS_RADIUS and low <= building.hops[a][b] <= high]
    if not pairs:  # a small building: the farthest pairs it has
        longest = max(building.hops[a][b] for a in range(n) for b in range(n))
        pairs = [(a, b) for a in range(n) for b in range(n)
                 if building.hops[a][b] == longest and building.distances[a][b] > SUCCESS_RADIUS]
    start, goal = rng.choice(pairs)
    heading = float(rng.randrange(0, 360, 30))
    steps = instruction_steps(building, building.path(start, goal), heading, rng)
    instruction = join(steps, rng) if behavior == "instruction" else target_hint(building, goal, rng)
    return Task(family=FAMILY, behavior=behavior, environment=domain, scene=scene, split=split,
                goal={"start": start, "goal": goal, "heading": heading}, instruction=instruction,
                steps=tuple(steps), seed=seed)


def make_tasks(behavior: str, environment: str, split: str, count: int, seed: int) -> list[Task]:
    """`count` tasks of one mode in one domain, from seen or unseen buildings."""
    if environment not in DOMAINS:
        raise ValueError(f"unknown scene domain {environment!r}; allowed: {', '.join(DOMAINS)}")
    buildings = UNSEEN_BUILDINGS if split == "unseen" else SEEN_BUILDINGS
    rng = random.Random(f"{FAMILY}/tasks/{behavior}/{environment}/{split}/{seed}")
    return [make_task(behavior, f"{environment}-{rng.choice(buildings):02d}", split, rng.randrange(2**31))
            for _ in range(count)]


def vocabulary() -> list[str]:
    words = set(template_words()) | {":", "invalid", "action", "(", ")", "other"}
    for rooms in DOMAINS.values():
        for room, landmarks in rooms.items():
            words |= set(room.split()) | {w for landmark in landmarks for w in landmark.split()}
    return sorted(words)
