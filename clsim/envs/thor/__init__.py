"""The AI2-THOR backend of the household world: the same tasks on ``ai2thor`` when a build is available."""

from .env import ThorHouseholdEnv, ThorUnavailable, make_controller

__all__ = ["ThorHouseholdEnv", "ThorUnavailable", "make_controller"]
