"""In-context examples for a causal LM: stored demonstrations, abstracted to the steps the expert took, and
retrieved by similarity into the prompt (ICAL-style memory of examples; no weight is updated).

A demonstration is kept as one line, its instruction and the expert's actions with runs of the same action
collapsed ("put a clean apple in the fridge -> rotateleft x2 ; moveahead x3 ; pickupobject apple 1 ; ..."),
keyed by the frozen hashed features the knn agent uses, of its instruction: a step retrieves the ``k``
demonstrations whose instructions are most like its own (the task decides which actions apply; a view changes
at every step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..envs.core import Episode
from .base import Observation, from_numpy
from .step_memory import context_features, reservoir_slot, strings_to_tensor, tensor_to_strings

KEY_DIM = 1024  # hashed features per key (as the knn agent's default)


def abstract(episode: Episode) -> str:
    """The demonstration as one line: its instruction, then the expert's actions with runs collapsed."""
    runs: list[list[Any]] = []
    for step in episode.steps:
        action = step.action_text.lower()
        if runs and runs[-1][0] == action:
            runs[-1][1] += 1
        else:
            runs.append([action, 1])
    steps = " ; ".join(action if n == 1 else f"{action} x{n}" for action, n in runs)
    return f"{episode.instruction.lower()} -> {steps}"


def _key(instruction: str) -> torch.Tensor:
    return from_numpy(context_features({"instruction": instruction, "observation": ""}, KEY_DIM))


class ExampleMemory:
    """Abstracted demonstrations and their keys; past `limit` (0: none), a uniform sample by reservoir."""

    def __init__(self, limit: int = 0, seed: int = 0) -> None:
        self.limit, self.seed = limit, seed
        self.keys = torch.zeros((0, KEY_DIM))
        self.texts: list[str] = []
        self.offered = 0

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, episode: Episode) -> None:
        key, text = _key(episode.instruction), abstract(episode)
        self.offered += 1
        if not self.limit or len(self.texts) < self.limit:
            self.keys, self.texts = torch.cat([self.keys, key.unsqueeze(0)]), [*self.texts, text]
            return
        slot = reservoir_slot(self.seed, self.offered, self.limit)
        if slot is not None:
            self.keys[slot], self.texts[slot] = key, text

    def nearest(self, observation: Observation, k: int) -> list[str]:
        """The `k` stored examples most similar to the step, most similar first."""
        if not self.texts:
            return []
        similarity = self.keys @ _key(observation["instruction"])
        return [self.texts[i] for i in similarity.topk(min(k, len(self.texts))).indices.tolist()]

    def nbytes(self) -> int:
        return self.keys.numel() * self.keys.element_size() + sum(len(t.encode()) for t in self.texts)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"keys": self.keys.clone(), "texts": strings_to_tensor(self.texts), "offered": torch.tensor([self.offered])}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.keys, self.texts = state["keys"].clone().float(), tensor_to_strings(state["texts"])
        self.offered = int(state["offered"][0])


def with_examples(prompt: str, examples: Sequence[str], lengths: Sequence[int], budget: int) -> str:
    """`prompt` after as many of `examples` (most similar first, with their token `lengths`) as fit in `budget`
    tokens; the most similar ends up next to the prompt."""
    kept, used = [], 0
    for example, length in zip(examples, lengths):
        if used + length > budget:
            break
        kept.append(example)
        used += length
    return " || ".join([*reversed(kept), prompt])
