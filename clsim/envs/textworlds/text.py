"""Suites' text in clsim's convention: lower case, punctuation as words of its own, sentences ending in " .",
so the agents' tokenizers and line splitters read every world alike."""

from __future__ import annotations

import re
from functools import lru_cache

_PUNCTUATION = re.compile(r"([,;:!?()\"]|\.(?!\d))")  # a decimal point stays in its number
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65_536)  # a room's description comes back at every step spent in it
def clsim_text(text: str) -> str:
    """``"You see a box, that is empty."`` -> ``"you see a box , that is empty ."``."""
    return _SPACES.sub(" ", _PUNCTUATION.sub(r" \1 ", text.lower())).strip()


def room_view(look: str, feedback: str, inventory: str) -> tuple[str, str]:
    """(feedback, view) as an adapter shows them: the last action's words, left out when they only repeat the room
    ("look around"), and the room's description followed by what the agent carries, all in clsim's text."""
    room = clsim_text(look)
    said = clsim_text(feedback)
    return ("" if said == room else said), f"{room} {clsim_text(inventory)}"
