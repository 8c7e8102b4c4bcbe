"""Instructions in the household world: a high-level goal and step-by-step directives.

Templates paraphrase each task type several ways so a policy must read the words that
matter (object, receptacle, state change) rather than match one fixed string.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .catalogue import OBJECT_TYPES, RECEPTACLE_TYPES, spoken

_IN = {"fridge", "microwave", "cabinet", "drawer", "safe", "sinkbasin", "bathtubbasin", "garbagecan",
       "mug", "cup", "bowl", "pot", "pan", "box", "coffeemachine"}

GOALS: dict[str, tuple[str, ...]] = {
    "pick_and_place_simple": (
        "put {a} {o} {prep} the {r} .", "place {a} {o} {prep} the {r} .", "move {a} {o} to the {r} .",
        "take {a} {o} and put it {prep} the {r} .",
    ),
    "pick_two_obj_and_place": (
        "put two {os} {prep} the {r} .", "place two {os} {prep} the {r} .",
        "move a pair of {os} to the {r} .", "find two {os} and put them {prep} the {r} .",
    ),
    "look_at_obj_in_light": (
        "examine {a} {o} under the {lamp} .", "look at {a} {o} in the light of the {lamp} .",
        "pick up {a} {o} and turn on the {lamp} .", "hold {a} {o} and switch on the {lamp} .",
    ),
    "pick_clean_then_place_in_recep": (
        "put {a} clean {o} {prep} the {r} .", "rinse {a} {o} and put it {prep} the {r} .",
        "wash {a} {o} in the sink , then place it {prep} the {r} .",
    ),
    "pick_heat_then_place_in_recep": (
        "put {a} heated {o} {prep} the {r} .", "heat {a} {o} and put it {prep} the {r} .",
        "warm {a} {o} in the microwave , then place it {prep} the {r} .",
    ),
    "pick_cool_then_place_in_recep": (
        "put {a} chilled {o} {prep} the {r} .", "cool {a} {o} and put it {prep} the {r} .",
        "chill {a} {o} in the fridge , then place it {prep} the {r} .",
    ),
    "pick_and_place_with_movable_recep": (
        "put {a} {o} in a {m} {prep} the {r} .", "place a {m} with {a} {o} in it {prep} the {r} .",
        "move {a} {o} inside a {m} to the {r} .",
    ),
}
STEPS: dict[str, tuple[str, ...]] = {
    "goto": ("go to the {r} .", "walk to the {r} .", "head over to the {r} .", "turn and go to the {r} ."),
    "pickup": ("pick up the {o} .", "take the {o} .", "grab the {o} ."),
    "put": ("put the {o} {prep} the {r} .", "place the {o} {prep} the {r} .", "set the {o} {prep} the {r} ."),
    "heat": ("heat the {o} in the microwave .", "warm the {o} in the microwave and take it out ."),
    "cool": ("chill the {o} in the fridge .", "cool the {o} in the fridge and take it out ."),
    "clean": ("rinse the {o} in the sink .", "wash the {o} in the sink ."),
    "slice": ("slice the {o} .", "cut the {o} into slices ."),
    "toggle": ("turn on the {r} .", "switch on the {r} ."),
}


def plural(name: str) -> str:
    """English plural of a spoken object name ("tomato" -> "tomatoes")."""
    if name.endswith(("o", "sh", "ch", "x", "s")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def _prep(kind: str) -> str:
    return "in" if kind in _IN else "on"


def _fill(template: str, **names: str) -> str:
    obj = names.get("o", "")
    article = "an" if obj[:1] in "aeiou" and obj else "a"
    return template.format(a=article, prep=_prep(names.get("kind", "")), **{
        k: v for k, v in names.items() if k != "kind"})


def instruction_for(behavior: str, goal: Mapping[str, Any], rng: random.Random) -> str:
    """The high-level goal instruction for a task."""
    obj = spoken(goal["object"])
    if goal.get("sliced"):
        obj = f"sliced {obj}"
    names = {"o": obj, "os": plural(obj), "r": spoken(goal.get("receptacle", "")), "kind": goal.get("receptacle", ""),
             "m": spoken(goal.get("mrecep", "")), "lamp": spoken(goal.get("lamp", ""))}
    return _fill(rng.choice(GOALS[behavior]), **names)


def steps_for(subgoals: Sequence[tuple[str, ...]], rng: random.Random) -> list[str]:
    """Step-by-step directives: one per run of identical expert subgoals (Stop omitted)."""
    merged = [s for i, s in enumerate(subgoals) if s[0] != "stop" and (i == 0 or s != subgoals[i - 1])]
    out = []
    for kind, *args in merged:
        if kind == "goto" or kind == "toggle":
            names = {"r": spoken(args[0]), "kind": args[0]}
        elif kind == "put":
            names = {"o": spoken(args[0]), "r": spoken(args[1]), "kind": args[1]}
        else:
            names = {"o": spoken(args[0])}
        out.append(_fill(rng.choice(STEPS[kind]), **names))
    return out


def template_words() -> set[str]:
    text = " ".join((*sum(GOALS.values(), ()), *sum(STEPS.values(), ())))
    text = re.sub(r"\{\w+\}", " ", text)
    words = set(text.split()) | {"a", "an", "in", "on"}
    words |= {w for k in RECEPTACLE_TYPES for w in spoken(k).split()}
    words |= {w for o in OBJECT_TYPES for w in plural(spoken(o)).split()}
    return words
