"""Words of the navigation world: directions relative to the agent's heading, action candidates,
R2R-style instructions from a shortest path, CVDN-style target hints and the guide's answers.

Paraphrases are drawn per task (verbs, prepositions, sentence joins), so an instruction names the
same rooms and landmarks as the candidates without repeating their wording.
"""

from __future__ import annotations

import math
import random

from .building import Building

STOP, ASK = "stop", "ask"
_GO = ("go", "walk", "head", "move", "continue")
_NEAR = ("by", "next to", "near", "beside")
_JOIN = (" , then ", " and ", " . ")
_FIND = ("find the {landmark} in the {room}", "go to the {landmark} in the {room}",
         "look for the {landmark} in the {room}", "the {landmark} in the {room} is where you should wait")


def heading_to(building: Building, a: int, b: int) -> float:
    """Compass heading (degrees) of the move from viewpoint `a` to `b`."""
    (x0, y0), (x1, y1) = building.viewpoints[a].position, building.viewpoints[b].position
    return math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360


def direction(heading: float, target: float) -> str:
    """Where `target` lies relative to `heading`: straight, slightly left/right, left/right, or behind."""
    turn = (target - heading + 180) % 360 - 180  # positive: to the left (counter-clockwise)
    size = abs(turn)
    if size < 30:
        return "straight ahead"
    side = "left" if turn > 0 else "right"
    if size < 75:
        return f"slightly {side}"
    return side if size < 135 else "behind you"


def candidate_text(building: Building, here: int, there: int, heading: float) -> str:
    view = building.viewpoints[there]
    return (f"go {direction(heading, heading_to(building, here, there))} to the {view.landmark} "
            f"in the {view.room}")


def directive(building: Building, here: int, there: int, heading: float, rng: random.Random) -> str:
    """One step of an instruction: a turn and where it leads (a room when the move enters one)."""
    view, verb = building.viewpoints[there], rng.choice(_GO)
    where = direction(heading, heading_to(building, here, there))
    if view.room_index != building.viewpoints[here].room_index:
        return rng.choice((f"{verb} {where} into the {view.room}", f"{verb} {where} and enter the {view.room}"))
    return rng.choice((f"{verb} {where} to the {view.landmark}", f"{verb} {where} past the {view.landmark}"))


def instruction_steps(building: Building, path: list[int], heading: float, rng: random.Random) -> list[str]:
    """Step-by-step directives along `path`, ending with where to stop."""
    steps = []
    for here, there in zip(path, path[1:]):
        steps.append(directive(building, here, there, heading, rng))
        heading = heading_to(building, here, there)
    goal = building.viewpoints[path[-1]]
    steps.append(rng.choice((f"stop {rng.choice(_NEAR)} the {goal.landmark}",
                             f"wait {rng.choice(_NEAR)} the {goal.landmark}")))
    return steps


def join(steps: list[str], rng: random.Random) -> str:
    return rng.choice(_JOIN).join(steps) + " ."


def target_hint(building: Building, goal: int, rng: random.Random) -> str:
    view = building.viewpoints[goal]
    return rng.choice(_FIND).format(landmark=view.landmark, room=view.room) + " ."


def guide_answer(building: Building, here: int, goal: int, heading: float, moves: int) -> str:
    """The oracle's next-steps hint: the next `moves` moves of a shortest path, in candidates' words."""
    parts, current = [], here
    for _ in range(moves):
        if current == goal:
            break
        nxt = building.next_hop(current, goal)
        parts.append(candidate_text(building, current, nxt, heading))
        heading, current = heading_to(building, current, nxt), nxt
    if current == goal:
        parts.append(f"stop by the {building.viewpoints[goal].landmark}")
    return " , then ".join(parts)


def template_words() -> set[str]:
    texts = [*_GO, *_NEAR, *_JOIN, *_FIND, STOP, ASK, "straight ahead slightly left right behind you",
             "to the in into and enter past wait you are see the guide says then", ",", "."]
    return {w for t in texts for w in t.replace("{landmark}", "").replace("{room}", "").split()}
