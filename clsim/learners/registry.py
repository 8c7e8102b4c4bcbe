"""Learner registry: name -> class; plug-ins by ``module:Class`` or the ``clsim.learners`` entry points.

Later entries may not shadow built-ins. A plug-in learner is built as ``cls(agent, config, seed=seed)``;
subclassing :class:`clsim.learners.Learner` gives it the online schedule and everything else.
"""

from __future__ import annotations

from ..plugins import PluginError, Registry
from .base import Learner, LearnerConfig, settings_for

RENAMED = {"xder": "der++-rewrite"}  # learners whose name changed, by the name earlier runs stored: the same method
ENTRY_POINTS = "clsim.learners"
PROTOCOL = {"observe": "observe(samples)", "flush": "flush()", "state_dict": "state_dict()",
            "load_state_dict": "load_state_dict(state)"}


LEARNERS: Registry[type[Learner]] = Registry("learner", ENTRY_POINTS, PROTOCOL)
register = LEARNERS.register()  # @register on a Learner subclass with a `name`


def settings_of(name: str, config: LearnerConfig) -> LearnerConfig:
    """`config` as learner `name`'s own settings class; as given if no learner has that name (the config's
    ``validate`` names it)."""
    try:
        learner = get_learner(name)
    except ValueError:
        return config
    return settings_for(learner, config)


def current_name(name: str) -> str:
    """A learner's name today, given the one a run stored."""
    return RENAMED.get(name, name)


def learner_names(kind: str | None = None) -> list[str]:
    """The built-in learners, or those that learn from stream `kind` ("demonstrations", "feedback");
    installed plug-ins: ``plugin_names(ENTRY_POINTS)``."""
    return sorted(name for name, cls in LEARNERS.items() if kind is None or kind in cls.supports)


def get_learner(name: str) -> type[Learner]:
    cls = LEARNERS.get_entry(name)
    if not getattr(cls, "supports", None):
        raise PluginError(f"plug-in learner {name!r} does not declare `supports`, the stream kinds it learns "
                          "from (e.g. frozenset({'demonstrations'}))")
    return cls
