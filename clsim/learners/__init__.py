"""Online continual-learning algorithms, one file each, registered by name."""

from . import agem, bandit, cama, clib, derpp, er, esr, ewcpp, finetune, joint, lwf, mir, perpr, ppo, xder  # noqa: F401  (registration)
from .base import Learner, LearnerConfig
from .memory import EpisodeMemory, MemoryItem
from .registry import get_learner, learner_names, register

__all__ = ["EpisodeMemory", "Learner", "LearnerConfig", "MemoryItem", "get_learner", "learner_names", "register"]
