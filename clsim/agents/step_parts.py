"""What GroundedPolicy needs of a step apart from its weights, worked out once per distinct step.

A step (instruction, observation, candidates) recurs: in every update that replays its episode, and in
rollouts that pass through the same state. Its lines' parts, their instruction flags and which candidate
acts on which line are pure functions of its text. They are kept here, with every line part interned as
an integer, so that a batch is assembled from arrays rather than by Python over every line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lines import bindings, contents, line_flags, split_line
from .lm_policy import split_lines
from .tokenizer import WordTokenizer


@dataclass(frozen=True)
class StepParts:
    """One step's structure. Part ids index :attr:`StepParser.parts` (bearing-free part, its name's length and
    the instruction it is read under) and :attr:`StepParser.bearings`."""

    words: int  # the instruction's words
    kept: int  # the lines that fit the context after the instruction's words
    line_parts: np.ndarray  # [lines] int64
    line_bearings: np.ndarray  # [lines] int64
    candidate_parts: np.ndarray  # [candidates] int64
    candidate_bearings: np.ndarray  # [candidates] int64
    has_name: np.ndarray  # [kept] bool: the line names a thing ("apple 1 ..."), so an action can head for it
    flags: np.ndarray  # [lines, 2] float32: :func:`~clsim.agents.lines.line_flags`
    held: np.ndarray  # [entries, 3] float64 (line i, line j, weight): :func:`~clsim.agents.lines.contents`
    bound: np.ndarray  # [entries, 4] float64 (kind, candidate, line, weight): :func:`~clsim.agents.lines.bindings`


class StepParser:
    """Parses steps into :class:`StepParts`, remembering each distinct step and interning line parts.

    Ids stay valid until :meth:`clear`, which the owner calls between batches once :meth:`full` says so.
    """

    def __init__(self, tokenizer: WordTokenizer, leading: int, max_positions: int, instruction_words: int,
                 limit: int = 200_000) -> None:
        self.tokenizer = tokenizer
        self.leading = leading
        self.max_positions = max_positions
        self.instruction_words = instruction_words  # the instruction's first words kept
        self.limit = limit
        self.clear()

    def clear(self) -> None:
        self.parts: list[tuple[str, int, str]] = []  # id -> (text, name words, instruction)
        self.bearings: list[str] = []  # id -> bearing words
        self._part_ids: dict[tuple[str, int, str], int] = {}
        self._bearing_ids: dict[str, int] = {}
        self._steps: dict[tuple[str, str, tuple[str, ...]], StepParts] = {}

    def __len__(self) -> int:
        """The distinct steps kept."""
        return len(self._steps)

    def full(self) -> bool:
        return max(len(self.parts), len(self._steps)) > self.limit

    def parse(self, observation: Mapping[str, Any]) -> StepParts:
        key = (observation["instruction"], observation["observation"], tuple(observation["candidates"]))
        parts = self._steps.get(key)
        if parts is None:
            parts = self._steps[key] = self._parse(*key)
        return parts

    def _intern(self, instruction: str, pieces: list[tuple[int, str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Ids of each (name words, bearing-free part, bearing)'s part under `instruction`, and of its bearing."""
        part_ids, bearing_ids = [], []
        for n, rest, bearing in pieces:
            key = (rest, n, instruction)
            if key not in self._part_ids:
                self._part_ids[key] = len(self.parts)
                self.parts.append(key)
            if bearing not in self._bearing_ids:
                self._bearing_ids[bearing] = len(self.bearings)
                self.bearings.append(bearing)
            part_ids.append(self._part_ids[key])
            bearing_ids.append(self._bearing_ids[bearing])
        return np.array(part_ids, dtype=np.int64), np.array(bearing_ids, dtype=np.int64)

    def _parse(self, instruction: str, observation: str, candidates: tuple[str, ...]) -> StepParts:
        lines = split_lines(observation)
        pieces = [split_line(t, True, self.leading) for t in lines]
        words = min(len(self.tokenizer.encode([instruction])[0]), self.instruction_words)
        kept = max(0, min(len(lines), self.max_positions - words))
        bare = tuple(rest for _, rest, _ in pieces)
        line_parts, line_bearings = self._intern(instruction, pieces)
        candidate_parts, candidate_bearings = self._intern(
            instruction, [split_line(t, False, self.leading) for t in candidates])
        bound = [(kind, k, j, weight) for k, j, weight, kind in bindings(bare[:kept], candidates)]
        return StepParts(words=words, kept=kept, line_parts=line_parts, line_bearings=line_bearings,
                         candidate_parts=candidate_parts, candidate_bearings=candidate_bearings,
                         has_name=np.array([n > 0 for n, _, _ in pieces[:kept]], dtype=bool),
                         flags=np.array(line_flags(instruction, bare), dtype=np.float32).reshape(-1, 2),
                         held=np.array(contents(bare[:kept]), dtype=np.float64).reshape(-1, 3),
                         bound=np.array(bound, dtype=np.float64).reshape(-1, 4))
