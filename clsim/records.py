"""The record classes a checkpoint may hold besides tensors and plain values.

Checkpoints are read with torch's weights-only unpickler, which rebuilds only allowlisted classes, so a crafted
run directory cannot run code on ``--resume``. Learners that store their own records (memory items, feedback
steps) register them here with :func:`checkpoint_record`; plug-in learners do the same.
"""

from __future__ import annotations

from typing import TypeVar

from .envs.core import Episode, Step, Task

_RECORDS: list[type] = [Step, Episode, Task]

R = TypeVar("R", bound=type)


def checkpoint_record(cls: R) -> R:
    """Allow a plain data class (no custom ``__setstate__`` or ``__reduce__``) in learners' checkpoint state."""
    if cls not in _RECORDS:
        _RECORDS.append(cls)
    return cls


def checkpoint_records() -> list[type]:
    """Every class a checkpoint may hold besides tensors and plain values."""
    return list(_RECORDS)
