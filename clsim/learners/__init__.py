"""Online continual-learning algorithms, one file each, registered by name."""

from . import (  # noqa: F401  (registration)
    agem,
    bandit,
    cama,
    clib,
    derpp,
    derpp_rewrite,
    er,
    esr,
    ewcpp,
    finetune,
    icl,
    joint,
    knn,
    lwf,
    mir,
    perpr,
    ppo,
)
from .base import Learner, LearnerConfig, learner_settings, own_settings, settings_class, settings_for
from .memory import EpisodeMemory, MemoryItem
from .registry import get_learner, learner_names, register, settings_of

__all__ = ["EpisodeMemory", "Learner", "LearnerConfig", "MemoryItem", "get_learner", "learner_names", "learner_settings",
           "own_settings", "register", "settings_class", "settings_for", "settings_of"]
