"""Learner registry: name -> class; plug-ins by ``module:Class`` or the ``clsim.learners`` entry points.

Later entries may not shadow built-ins. A plug-in learner is built as ``cls(agent, config, seed=seed)``;
subclassing :class:`clsim.learners.Learner` gives it the online schedule and everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..plugins import PluginError, resolve

if TYPE_CHECKING:
    from .base import Learner

LEARNERS: dict[str, type[Learner]] = {}
RENAMED = {"xder": "der++-rewrite"}  # learners whose name changed, by the name earlier runs stored: the same method
ENTRY_POINTS = "clsim.learners"
PROTOCOL = {"observe": "observe(samples)", "flush": "flush()", "state_dict": "state_dict()",
            "load_state_dict": "load_state_dict(state)"}


def register(cls: type[Learner]) -> type[Learner]:
    if not cls.name:
        raise ValueError(f"learner class {cls.__qualname__} has no name")
    if cls.name in LEARNERS and LEARNERS[cls.name] is not cls:
        raise ValueError(f"learner name {cls.name!r} is already taken by {LEARNERS[cls.name].__qualname__}")
    LEARNERS[cls.name] = cls
    return cls


def current_name(name: str) -> str:
    """A learner's name today, given the one a run stored."""
    return RENAMED.get(name, name)


def learner_names(kind: str | None = None) -> list[str]:
    """The built-in learners, or those that learn from stream `kind` ("demonstrations", "feedback");
    installed plug-ins: ``plugin_names(ENTRY_POINTS)``."""
    return sorted(name for name, cls in LEARNERS.items() if kind is None or kind in cls.supports)


def get_learner(name: str) -> type[Learner]:
    cls = resolve(name, LEARNERS, ENTRY_POINTS, "learner", PROTOCOL)
    if not getattr(cls, "supports", None):
        raise PluginError(f"plug-in learner {name!r} does not declare `supports`, the stream kinds it learns "
                          "from (e.g. frozenset({'demonstrations'}))")
    return cls
