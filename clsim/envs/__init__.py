"""Worlds: Gymnasium environments with language instructions, and their registry."""

from __future__ import annotations

import gymnasium

from .core import Demonstration, Episode, Step, Task, WorldFamily, family_names, get_family, register_family
from .household import HouseholdFamily

register_family("household", HouseholdFamily)
if "clsim/Household-v0" not in gymnasium.registry:
    gymnasium.register("clsim/Household-v0", entry_point="clsim.envs.household.env:HouseholdEnv")

__all__ = ["Demonstration", "Episode", "Step", "Task", "WorldFamily", "family_names", "get_family"]
