"""Reference agents: uniform random (the chance floor for FWT and sanity checks) and the expert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from .base import Observation, choose_actions, pad_logits


class RandomAgent:
    """Samples uniformly among the admissible candidates, greedy or not."""

    def __init__(self, seed: int = 0) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]:
        return [torch.zeros(len(o["candidates"])) for o in observations]

    def act(self, observations: Sequence[Observation], greedy: bool = True) -> list[int]:
        logits, mask = pad_logits(self.scores(observations))
        return choose_actions(logits, mask, greedy=False, generator=self.generator)

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.generator.set_state(state["generator"])


class ExpertAgent:
    """Follows the world's expert (``info["expert_action"]``): the ceiling of a suite."""

    privileged = True

    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]:
        out = []
        for o in observations:
            s = torch.zeros(len(o["candidates"]))
            s[list(o["candidates"]).index(o["expert_action"])] = 1.0
            out.append(s)
        return out

    def act(self, observations: Sequence[Observation], greedy: bool = True) -> list[int]:
        return [int(s.argmax()) for s in self.scores(observations)]

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        return None
