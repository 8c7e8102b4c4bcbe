"""Learner registry: name -> class. Later entries (plug-ins) may not shadow built-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Learner

LEARNERS: dict[str, type[Learner]] = {}


def register(cls: type[Learner]) -> type[Learner]:
    if not cls.name:
        raise ValueError(f"learner class {cls.__qualname__} has no name")
    if cls.name in LEARNERS and LEARNERS[cls.name] is not cls:
        raise ValueError(f"learner name {cls.name!r} is already taken by {LEARNERS[cls.name].__qualname__}")
    LEARNERS[cls.name] = cls
    return cls


def learner_names() -> list[str]:
    return sorted(LEARNERS)


def get_learner(name: str) -> type[Learner]:
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}; available learners: {', '.join(learner_names())}")
    return LEARNERS[name]
