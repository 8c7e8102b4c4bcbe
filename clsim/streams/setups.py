"""Continual-learning setups: which task field splits the stream, and the canonical orders.

Behavior-IL: one segment per task type (behavior), all environments of that type mixed in.
Environment-IL: one segment per environment (scene type), its task types balanced.
Order 1 of each setup is CL-ALFRED's; orders 2-5 are fixed permutations chosen so that every
segment appears early in one order and late in another; orders 6 and up are permutations seeded
by the order number, for studies that want more orders than the canonical five.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..envs.core import WorldFamily


@dataclass(frozen=True)
class Setup:
    name: str
    axis: str  # "behavior" or "environment": the Task field a segment fixes
    orders: dict[str, tuple[tuple[str, ...], ...]]  # per world family, canonical orders 1..5

    def segments(self, family: WorldFamily, order: int) -> tuple[str, ...]:
        """Canonical order `order` (1-based), or beyond those a permutation seeded by `order`."""
        orders = self.orders.get(family.name)
        if orders is None:
            raise ValueError(f"setup {self.name!r} has no orders for world {family.name!r}")
        if order < 1:
            raise ValueError(f"order must be >= 1 for {self.name} (1..{len(orders)} canonical, higher ones seeded "
                             f"random permutations), got {order}")
        if order <= len(orders):
            return orders[order - 1]
        segments = sorted(orders[0])
        random.Random(f"{self.name}/{family.name}/order/{order}").shuffle(segments)
        return tuple(segments)


_B = {
    "look": "look_at_obj_in_light", "heat": "pick_heat_then_place_in_recep",
    "two_obj": "pick_two_obj_and_place", "cool": "pick_cool_then_place_in_recep",
    "simple": "pick_and_place_simple", "clean": "pick_clean_then_place_in_recep",
    "movable": "pick_and_place_with_movable_recep",
}
_BEHAVIOR_ORDERS = (
    ("look", "heat", "two_obj", "cool", "simple", "clean", "movable"),
    ("simple", "movable", "clean", "look", "cool", "two_obj", "heat"),
    ("two_obj", "clean", "heat", "movable", "look", "simple", "cool"),
    ("cool", "look", "simple", "heat", "movable", "clean", "two_obj"),
    ("movable", "two_obj", "cool", "clean", "heat", "look", "simple"),
)
_ENVIRONMENT_ORDERS = (
    ("bedroom", "bathroom", "living_room", "kitchen"),
    ("kitchen", "living_room", "bathroom", "bedroom"),
    ("bathroom", "kitchen", "bedroom", "living_room"),
    ("living_room", "bedroom", "kitchen", "bathroom"),
    ("kitchen", "bedroom", "bathroom", "living_room"),
)

SETUPS: dict[str, Setup] = {
    "behavior-il": Setup("behavior-il", "behavior",
                         {"household": tuple(tuple(_B[s] for s in o) for o in _BEHAVIOR_ORDERS)}),
    "environment-il": Setup("environment-il", "environment", {"household": _ENVIRONMENT_ORDERS}),
}


def setup_names() -> list[str]:
    return sorted(SETUPS)


def get_setup(name: str) -> Setup:
    if name not in SETUPS:
        raise ValueError(f"unknown setup {name!r}; available setups: {', '.join(setup_names())}")
    return SETUPS[name]
