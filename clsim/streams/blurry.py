"""i-Blurry-N-M streams (Koh et al., 2022): segment boundaries that blur, as they do in deployment.

In a disjoint stream every sample of a label (task type or scene type) arrives in that label's
segment. In i-Blurry-N-M, N% of the labels stay disjoint; each of the others keeps its own
segment as the major one, but M% of its samples are dealt out to other segments, uniformly at
random. So the learner meets a label before, and again after, the segment where it dominates.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Blurry:
    disjoint: int  # N: percent of labels whose samples all stay in their own segment
    minor: int  # M: percent of each blurry label's samples that arrive in other segments

    def __post_init__(self) -> None:
        for name in ("disjoint", "minor"):
            if not 0 <= getattr(self, name) <= 100:
                raise ValueError(f"blurry {name} percentage must be in 0..100, got {getattr(self, name)}")

    @classmethod
    def parse(cls, text: str) -> Blurry:
        """``"N-M"`` as in i-Blurry-N-M, e.g. ``"10-10"``."""
        match = re.fullmatch(r"(\d+)-(\d+)", text.strip())
        if not match:
            raise ValueError(f"blurry must be N-M (percent disjoint labels, percent minor samples), e.g. 10-10; "
                             f"got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def deal(self, segments: Sequence[str], samples: dict[str, list[T]], seed: int) -> dict[str, list[T]]:
        """Each segment's samples after the blurry labels' minor shares moved to other segments."""
        rng = random.Random(f"blurry/{self.disjoint}-{self.minor}/{seed}")
        disjoint = set(rng.sample(list(segments), round(self.disjoint / 100 * len(segments))))
        out: dict[str, list[T]] = {s: [] for s in segments}
        received: set[str] = set()
        for s in segments:
            own = samples[s]
            moved = set() if s in disjoint or len(segments) < 2 else set(
                rng.sample(range(len(own)), round(self.minor / 100 * len(own))))
            others = [o for o in segments if o != s]
            for i, sample in enumerate(own):
                target = rng.choice(others) if i in moved else s
                out[target].append(sample)
                if target != s:
                    received.add(target)
        for s in segments:
            if s in received:  # minor samples arrive anywhere in the segment, not at its end
                rng.shuffle(out[s])
        return out
