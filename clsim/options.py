"""``KEY=VALUE`` command-line settings, typed by the dataclass they configure (learners, agents)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

_CONVERTERS = {"int": int, "float": float, "str": str, "str | None": str,
               "bool": lambda text: {"true": True, "1": True, "false": False, "0": False}[text.lower()]}


def _type_name(annotation: Any) -> str:
    """A field's type as written ("float", "str | None"), whether its module postpones annotations or not."""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


def parse_options(options: Sequence[str], target: type | Sequence[type], what: str) -> dict[str, Any]:
    """``["distill=kl", "mir_candidates=20"]`` -> keyword arguments of the dataclass `target` (or of any of several:
    a benchmark's learners each take the options their settings have)."""
    targets = [target] if isinstance(target, type) else list(target)
    types = {f.name: _type_name(f.type) for t in reversed(targets) for f in fields(t) if _type_name(f.type) in _CONVERTERS}
    values: dict[str, Any] = {}
    for option in options:
        key, sep, text = option.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in types:
            raise ValueError(f"{what} option {option!r} is not KEY=VALUE with KEY one of: {', '.join(sorted(types))}")
        try:
            values[key] = _CONVERTERS[types[key]](text.strip())
        except (ValueError, KeyError):
            raise ValueError(f"{what} option {key} takes a {types[key]}, got {text.strip()!r}") from None
    return values


def check_settings(config: Any, minimums: Mapping[str, float], below: Mapping[str, float] | None = None,
                   divides: tuple[str, str] | None = None) -> None:
    """Refuse a config whose numbers cannot work: NaN or infinite floats, fields under their `minimums` or not
    `below` their limits, and (`divides`: (a, b)) b not a multiple of a, e.g. attention heads that do not divide
    the hidden size."""
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{f.name} must be a finite number, got {value}")
    for name, low in minimums.items():
        if getattr(config, name) < low:
            raise ValueError(f"{name} must be >= {low}, got {getattr(config, name)}")
    for name, high in (below or {}).items():
        if getattr(config, name) >= high:
            raise ValueError(f"{name} must be < {high}, got {getattr(config, name)}")
    if divides is not None:
        a, b = divides
        if getattr(config, b) % getattr(config, a):
            raise ValueError(f"{b} ({getattr(config, b)}) must be a multiple of {a} ({getattr(config, a)})")
