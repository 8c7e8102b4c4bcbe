"""Blurry streams: segment boundaries that blur, as they do in deployment.

A stream is a sequence of *periods*; each period has its major labels (task or scene types)
and the samples that arrive in it. In a disjoint stream every period holds one label and all
of its samples.

- i-Blurry-N-M (Koh et al., 2022): N% of the labels stay disjoint; each of the others keeps
  its own period as the major one, but M% of its samples are dealt out to other periods,
  uniformly at random. The learner meets a label before, and again after, its own period.
- Si-Blurry-N-M (Moon et al., 2023): as i-Blurry, and in addition the boundaries themselves are
  stochastic: consecutive labels are grouped into periods of random size (each gap between two
  labels is a boundary with probability 1/2), and a period's labels arrive interleaved. So
  periods differ in length and in how many labels they introduce at once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Period = tuple[tuple[str, ...], list[T]]  # (major labels, samples in arrival order)


@dataclass(frozen=True)
class Blurry:
    disjoint: int  # N: percent of labels whose samples all stay in their own period
    minor: int  # M: percent of each blurry label's samples that arrive in other periods
    stochastic: bool = False  # Si-Blurry: random period sizes, labels of a period interleaved

    def __post_init__(self) -> None:
        for name in ("disjoint", "minor"):
            if not 0 <= getattr(self, name) <= 100:
                raise ValueError(f"blurry {name} percentage must be in 0..100, got {getattr(self, name)}")

    @property
    def spec(self) -> str:
        return f"{'si-' if self.stochastic else ''}{self.disjoint}-{self.minor}"

    @classmethod
    def parse(cls, text: str) -> Blurry:
        """``"N-M"`` for i-Blurry-N-M, ``"si-N-M"`` for Si-Blurry-N-M, e.g. ``"10-10"``."""
        match = re.fullmatch(r"(si-)?(\d+)-(\d+)", text.strip().lower())
        if not match:
            raise ValueError(f"blurry must be N-M (i-Blurry) or si-N-M (Si-Blurry): percent disjoint labels, "
                             f"percent minor samples, e.g. 10-10 or si-10-10; got {text!r}")
        return cls(int(match.group(2)), int(match.group(3)), stochastic=bool(match.group(1)))

    def deal(self, segments: Sequence[str], samples: dict[str, list[T]], seed: int) -> list[Period]:
        """The periods of the stream: each with its major labels and the samples that arrive in it."""
        groups = self._group(segments, seed)
        rng = random.Random(f"blurry/{self.spec}/{seed}")
        disjoint = set(rng.sample(list(segments), round(self.disjoint / 100 * len(segments))))
        home = {label: i for i, group in enumerate(groups) for label in group}
        out: list[list[T]] = [[] for _ in groups]
        received: set[int] = set()
        for s in segments:
            own = samples[s]
            others = [i for i in range(len(groups)) if i != home[s]]
            moved = set() if s in disjoint or not others else set(
                rng.sample(range(len(own)), round(self.minor / 100 * len(own))))
            for i, sample in enumerate(own):
                target = rng.choice(others) if i in moved else home[s]
                out[target].append(sample)
                if target != home[s]:
                    received.add(target)
        for i, group in enumerate(groups):
            if i in received or len(group) > 1:  # minor samples and co-major labels arrive anywhere in the period
                rng.shuffle(out[i])
        return list(zip(groups, out))

    def _group(self, segments: Sequence[str], seed: int) -> list[tuple[str, ...]]:
        """The periods' major labels. Si-Blurry's boundaries depend on the seed only, so that
        streams of different N and M share them and can be compared."""
        if not self.stochastic:
            return [(s,) for s in segments]
        rng = random.Random(f"si-blurry/periods/{seed}")
        groups, current = [], [segments[0]]
        for s in segments[1:]:
            if rng.random() < 0.5:
                groups.append(tuple(current))
                current = []
            current.append(s)
        return [*groups, tuple(current)]
