"""An agent plug-in: a linear scorer over bags of words, the simplest thing that can learn a world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from clsim.agents import choose_actions, pad_logits


class BagOfWordsAgent(nn.Module):
    """Scores a candidate by a bilinear form between its bag of words and the context's."""

    def __init__(self, vocabulary: Sequence[str], seed: int = 0, dim: int = 32) -> None:
        super().__init__()
        self.index = {w: i + 1 for i, w in enumerate(dict.fromkeys(w.lower() for w in vocabulary))}
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.words = nn.EmbeddingBag(len(self.index) + 1, dim, mode="mean")
            self.bilinear = nn.Linear(dim, dim, bias=False)

    def _bags(self, texts: Sequence[str]) -> torch.Tensor:
        ids = [[self.index.get(w, 0) for w in t.lower().split()] or [0] for t in texts]
        offsets = torch.tensor([0, *torch.tensor([len(i) for i in ids]).cumsum(0).tolist()[:-1]])
        return self.words(torch.tensor([i for row in ids for i in row]), offsets)

    def scores(self, observations: Sequence[Mapping[str, Any]]) -> list[torch.Tensor]:
        context = self.bilinear(self._bags([f"{o['instruction']} {o['observation']}" for o in observations]))
        out = []
        for row, o in zip(context, observations):
            out.append(self._bags(list(o["candidates"])) @ row)
        return out

    @torch.no_grad()
    def act(self, observations: Sequence[Mapping[str, Any]], greedy: bool = True) -> list[int]:
        logits, mask = pad_logits(self.scores(observations))
        return choose_actions(logits, mask, greedy)
