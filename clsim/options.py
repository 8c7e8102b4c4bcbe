"""``KEY=VALUE`` command-line settings, typed by the dataclass they configure (learners, agents)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

_CONVERTERS = {"int": int, "float": float, "str": str, "str | None": str,
               "bool": lambda text: {"true": True, "1": True, "false": False, "0": False}[text.lower()]}


def parse_options(options: Sequence[str], target: type, what: str) -> dict[str, Any]:
    """``["distill=kl", "mir_candidates=20"]`` -> keyword arguments of the dataclass `target`."""
    types = {f.name: str(f.type) for f in fields(target) if str(f.type) in _CONVERTERS}
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
