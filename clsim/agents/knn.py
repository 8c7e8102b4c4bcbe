"""A nearest-neighbour policy: no weights to train, a memory of what the expert did where.

After "Online Continual Learning Without the Storage Constraint" (Prabhu et al., 2023): every
demonstrated step is stored as (context embedding -> expert action) from a frozen encoder, and
a step is decided by its nearest stored contexts. Learning is adding to memory, so nothing is
overwritten and forgetting can only come from a bounded memory.

The encoder is fixed and needs no model: each step's instruction words and its observation's
words and word pairs (per line), again apart for the lines whose thing the instruction names
(where the goal is, and its state), are hashed into ``dim`` counts (crc32, so the same on every
machine), then L2-normalised. A candidate's score is the similarity-weighted vote of the ``k``
nearest stored steps whose action it is: a full vote for the same action, ``partial`` of one for
the same action on another instance of the thing ("go to counter 2" for "go to counter 1").
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..options import check_settings
from .base import NEG_INF, ActByScores, Observation
from .lines import name_match
from .registry import AGENTS

_NUMBERS = re.compile(r"\s*\d+")


@dataclass
class KNNConfig:
    k: int = 16  # neighbours that vote
    dim: int = 1024  # hashed features of a step's context
    memory: int = 0  # steps kept at most (reservoir sampling past it); 0: every step
    partial: float = 0.5  # the vote for the same action on another instance of its thing

    def __post_init__(self) -> None:
        check_settings(self, {"k": 1, "dim": 8, "memory": 0, "partial": 0.0}, below={"partial": 1.0 + 1e-9})


def _feature(token: str, dim: int) -> int:
    return zlib.crc32(token.encode()) % dim


def context_features(observation: Observation, dim: int) -> np.ndarray:
    """The step's hashed bag of instruction words, observation words and per-line word pairs, unit length."""
    vector = np.zeros(dim, dtype=np.float32)
    instruction = observation["instruction"].lower()
    tokens = ["i:" + w for w in instruction.split()]
    for line in observation["observation"].lower().split(" ."):
        words = line.split()
        tokens += ["o:" + w for w in words] + [f"p:{a}_{b}" for a, b in zip(words, words[1:])]
        if name_match(instruction, line.strip()) > 0:  # where the things the instruction names are, and their state
            tokens += ["t:" + w for w in words] + [f"tp:{a}_{b}" for a, b in zip(words, words[1:])]
    np.add.at(vector, [_feature(t, dim) for t in tokens], 1.0)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _kind(action: str) -> str:
    """An action without its instance numbers: "go to counter 1" -> "go to counter"."""
    return _NUMBERS.sub("", action.lower()).strip()


@AGENTS.register("knn")
class KNNPolicy(ActByScores, nn.Module):
    """Decides by the expert's actions at the most similar remembered steps (see the module doc)."""

    config_class = KNNConfig

    def __init__(self, vocabulary: Sequence[str], config: KNNConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or KNNConfig()
        self.seed = seed  # reservoir sampling of a bounded memory draws from (seed, steps offered): resumable
        self.keys = torch.zeros((0, self.config.dim))
        self.actions: list[str] = []
        self.offered = 0  # steps offered to memory, kept or not

    def spec(self) -> dict:
        return {"class": "KNNPolicy", "config": asdict(self.config)}

    # ----- memory --------------------------------------------------------------------------------
    def remember(self, observations: Sequence[Observation], actions: Sequence[str]) -> None:
        """Store each (step, expert action); past ``memory`` steps, each replaces a random one with the
        probability that keeps memory a uniform sample of every step offered (reservoir sampling)."""
        rows = self._embed(observations)
        bound = self.config.memory
        for row, action in zip(rows, actions):
            self.offered += 1
            if not bound or len(self.actions) < bound:
                self.keys = torch.cat([self.keys, row.unsqueeze(0)])
                self.actions.append(action)
                continue
            slot = int(np.random.default_rng([self.seed, self.offered]).integers(self.offered))
            if slot < bound:
                self.keys[slot] = row
                self.actions[slot] = action

    def _embed(self, observations: Sequence[Observation]) -> torch.Tensor:
        return torch.from_numpy(np.stack([context_features(o, self.config.dim) for o in observations]))

    def memory_bytes(self) -> int:
        return self.keys.numel() * self.keys.element_size() + sum(len(a.encode()) for a in self.actions)

    # ----- scoring -------------------------------------------------------------------------------
    def padded_scores(self, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(o["candidates"]) for o in observations)
        valid = torch.arange(width) < torch.tensor([len(o["candidates"]) for o in observations]).unsqueeze(1)
        votes = torch.zeros((len(observations), width))
        if self.actions:
            queries = self._embed(observations)
            similarity, nearest = (queries @ self.keys.T).topk(min(self.config.k, len(self.actions)), dim=1)
            for b, o in enumerate(observations):
                exact = {c.lower(): i for i, c in enumerate(o["candidates"])}
                kinds: dict[str, list[int]] = {}
                for i, c in enumerate(o["candidates"]):
                    kinds.setdefault(_kind(c), []).append(i)
                for weight, n in zip(similarity[b].clamp(min=0).tolist(), nearest[b].tolist()):
                    action = self.actions[n].lower()
                    if action in exact:
                        votes[b, exact[action]] += weight
                    for i in kinds.get(_kind(action), ()):
                        if o["candidates"][i].lower() != action:
                            votes[b, i] += self.config.partial * weight
        logits = votes.masked_fill(~valid, float("-inf")).log_softmax(-1) if self.actions else votes
        return logits.masked_fill(~valid, NEG_INF), valid


    # ----- checkpoints: the memory as tensors (actions as UTF-8 bytes) -------------------------------
    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:  # type: ignore[override]
        encoded = [a.encode() for a in self.actions]
        width = max((len(a) for a in encoded), default=0)
        actions = torch.zeros((len(encoded), width), dtype=torch.uint8)
        for i, a in enumerate(encoded):
            actions[i, : len(a)] = torch.frombuffer(bytearray(a), dtype=torch.uint8)
        return {"keys": self.keys.clone(), "actions": actions, "offered": torch.tensor([self.offered])}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        if set(state) != {"keys", "actions", "offered"} or state["keys"].shape[1:] != (self.config.dim,):
            raise ValueError(f"not a memory of this KNNPolicy (dim {self.config.dim}): keys {sorted(state)}")
        self.keys = state["keys"].clone().float()
        self.actions = [bytes(row.tolist()).rstrip(b"\0").decode() for row in state["actions"]]
        self.offered = int(state["offered"][0])
        return None
