"""Worlds: Gymnasium environments with language instructions, and their registry."""

from __future__ import annotations

import gymnasium

from .core import WORLDS, Demonstration, Episode, Step, Task, WorldFamily, family_names, get_family
from .household import HouseholdFamily
from .navigation import NavigationFamily
from .sequence import WorldSequence
from .textworlds import BabyAIFamily, ScienceWorldFamily, TextWorldFamily, TwxFamily

WORLDS.add("household", HouseholdFamily)
WORLDS.add("household-hl", lambda: HouseholdFamily("high"))
WORLDS.add("navigation", NavigationFamily)
WORLDS.add("twx", TwxFamily)
WORLDS.add("babyai", BabyAIFamily)
WORLDS.add("scienceworld", ScienceWorldFamily)
WORLDS.add("textworld", TextWorldFamily)
WORLDS.add("household+navigation+twx", lambda: WorldSequence(("household", "navigation", "twx")))
NONDETERMINISTIC = {"clsim/ScienceWorld-v0"}  # the suite may name a room's objects differently on a reload
_HOUSEHOLD_VECTOR = "clsim.envs.household.vector:HouseholdVectorEnv"  # what gymnasium.make_vec builds
for _id, _entry, _vector, _kwargs in (
    ("clsim/Household-v0", "clsim.envs.household.env:HouseholdEnv", _HOUSEHOLD_VECTOR, {}),
    ("clsim/HouseholdHL-v0", "clsim.envs.household.env:HouseholdEnv", _HOUSEHOLD_VECTOR, {"action_level": "high"}),
    ("clsim/Navigation-v0", "clsim.envs.navigation.env:NavigationEnv", None, {}),
    ("clsim/TextWorldExpress-v0", "clsim.envs.textworlds.twx:TextWorldExpressEnv", None, {}),
    ("clsim/BabyAI-v0", "clsim.envs.textworlds.babyai:BabyAIEnv", None, {}),
    ("clsim/ScienceWorld-v0", "clsim.envs.textworlds.scienceworld:ScienceWorldEnv", None, {}),
    ("clsim/TextWorld-v0", "clsim.envs.textworlds.tw:TextWorldEnv", None, {}),
):
    if _id not in gymnasium.registry:
        gymnasium.register(_id, entry_point=_entry, vector_entry_point=_vector, kwargs=_kwargs,
                           nondeterministic=_id in NONDETERMINISTIC)

__all__ = ["Demonstration", "Episode", "Step", "Task", "WorldFamily", "family_names", "get_family"]
