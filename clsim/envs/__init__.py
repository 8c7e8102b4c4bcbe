"""Worlds: Gymnasium environments with language instructions, and their registry."""

from __future__ import annotations

import gymnasium

from .core import Demonstration, Episode, Step, Task, WorldFamily, family_names, get_family, register_family
from .household import HouseholdFamily
from .navigation import NavigationFamily

register_family("household", HouseholdFamily)
register_family("household-hl", lambda: HouseholdFamily("high"))
register_family("navigation", NavigationFamily)
for _id, _entry, _kwargs in (("clsim/Household-v0", "clsim.envs.household.env:HouseholdEnv", {}),
                             ("clsim/HouseholdHL-v0", "clsim.envs.household.env:HouseholdEnv", {"action_level": "high"}),
                             ("clsim/Navigation-v0", "clsim.envs.navigation.env:NavigationEnv", {})):
    if _id not in gymnasium.registry:
        gymnasium.register(_id, entry_point=_entry, kwargs=_kwargs)

__all__ = ["Demonstration", "Episode", "Step", "Task", "WorldFamily", "family_names", "get_family"]
