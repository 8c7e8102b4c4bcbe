"""What the agents that remember steps or demonstrations share (knn, the causal LM's in-context examples): a
frozen hashed feature map of a step's text, reservoir sampling for a bounded memory, and texts stored as tensors
(safetensors holds only tensors)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import torch

from .base import Observation
from .lines import name_match


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


def reservoir_slot(seed: int, offered: int, bound: int) -> int | None:
    """Where the `offered`-th item goes in a full memory of `bound` (None: not kept), so that memory stays a
    uniform sample of everything offered (reservoir sampling), drawn from (seed, offered): resumable."""
    slot = int(np.random.default_rng([seed, offered]).integers(offered))
    return slot if slot < bound else None


def strings_to_tensor(texts: Sequence[str]) -> torch.Tensor:
    """Texts as a ``uint8 [N, longest]`` tensor of UTF-8 bytes, zero-padded: safetensors stores only tensors."""
    encoded = [t.encode() for t in texts]
    out = torch.zeros((len(encoded), max((len(t) for t in encoded), default=0)), dtype=torch.uint8)
    for i, t in enumerate(encoded):
        out[i, : len(t)] = torch.frombuffer(bytearray(t), dtype=torch.uint8)
    return out


def tensor_to_strings(tensor: torch.Tensor) -> list[str]:
    return [bytes(row.tolist()).rstrip(b"\0").decode() for row in tensor]
