"""The word and line encoders of GroundedPolicy: a line's name, state and bearing, each encoded apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .lines import stem
from .tokenizer import WordTokenizer

if TYPE_CHECKING:
    from .grounded import GroundedPolicyConfig


class WordFeatures(nn.Module):
    """Per-word vectors of lines: the word, the word before it, and (optionally) whether and where the
    instruction names it."""

    def __init__(self, tokenizer: WordTokenizer, config: GroundedPolicyConfig) -> None:
        super().__init__()
        n, d = len(tokenizer), config.word_dim
        self.match_flags = config.match_flags
        self.embed = nn.Embedding(n, d, padding_idx=0)
        self.bigram = nn.Linear(2 * d, d)
        self.match = nn.Embedding(n, d, padding_idx=0)
        # "This word is in the instruction", the same for every word: the per-word vectors above are learned
        # only for words already seen, so without it a landmark first met in a new building sends no signal.
        self.matched = nn.Parameter(torch.randn(d))
        self.match_position = config.match_position
        if self.match_position:
            # Where the instruction names the word, counted back from its end (1 = its last word; 0 = unnamed):
            # "stop by the X" names its goal last, whatever its length.
            self.where = nn.Embedding(self.match_position + 1, d, padding_idx=0)
        stems: dict[str, int] = {}
        self.register_buffer("stems", torch.tensor([stems.setdefault(stem(w), len(stems)) for w in tokenizer.words]),
                             persistent=False)

    def forward(self, ids: torch.Tensor, instruction: torch.Tensor | None) -> torch.Tensor:
        """`ids` [N, S] word ids of N lines; `instruction` [N, I] the ids of each line's instruction (None: no flags)."""
        previous = nn.functional.pad(ids[:, :-1], (1, 0))
        # A nonlinear function of (word, word before): a sum of the two would pool to the same bag for
        # "left 3 face right" and "right 3 face left". Computed once per distinct pair in the batch.
        pairs, pair_index = torch.unique(previous * self.embed.num_embeddings + ids, return_inverse=True)
        first, second = pairs // self.embed.num_embeddings, pairs % self.embed.num_embeddings
        bigrams = nn.functional.gelu(self.bigram(torch.cat([self.embed(second), self.embed(first)], -1)))
        features = self.embed(ids) + bigrams[pair_index]
        if self.match_flags and instruction is not None:
            matched = (self.stems[ids].unsqueeze(-1) == self.stems[instruction].unsqueeze(1)) & (
                instruction > 0).unsqueeze(1)
            features = features + matched.any(-1, keepdim=True).to(features.dtype) * (self.matched + self.match(ids))
            if self.match_position:
                lengths = (instruction > 0).sum(1, keepdim=True).unsqueeze(1)  # [N, 1, 1]
                back = (lengths - torch.arange(instruction.shape[1])).clamp(min=1)  # [N, 1, I]: 1 at the last word
                nearest = torch.where(matched, back, self.match_position + 1).amin(-1)  # [N, S]
                features = features + self.where(torch.where(nearest > self.match_position, 0, nearest))
        return features


class LineEncoder(nn.Module):
    """A line's name, state and bearing vectors, and the line's vector from the three.

    The name and state (the line without its bearing) stay the same for a whole episode until something
    changes; the bearing changes at every step but is one of few. They are encoded apart, so each
    distinct part is encoded once, however many lines share it.
    """

    def __init__(self, tokenizer: WordTokenizer, config: GroundedPolicyConfig) -> None:
        super().__init__()
        d, h = config.word_dim, config.hidden
        self.words = WordFeatures(tokenizer, config)
        self.name_proj = nn.Linear(d, h)
        self.state_proj = nn.Linear(d, h)
        self.leading = config.relation_positions
        self.leading_proj = nn.Linear(config.relation_positions * d, h)
        self.out = nn.Sequential(nn.GELU(), nn.Linear(h, h), nn.LayerNorm(h))

    def identity(self, ids: torch.Tensor, name_lengths: torch.Tensor, instruction: torch.Tensor) -> torch.Tensor:
        """[N, 2H]: the name (its words pooled) and the state (the other words pooled) of N bearing-free lines
        whose first `name_lengths` words name them, their words flagged by `instruction` [N, I]."""
        features = self.words(ids, instruction)
        position = torch.arange(ids.shape[1]).unsqueeze(0)
        present = ids > 0
        in_name = (position < name_lengths.unsqueeze(1)) & present

        def mean(mask: torch.Tensor) -> torch.Tensor:
            m = mask.unsqueeze(-1).to(features.dtype)
            return (features * m).sum(1) / m.sum(1).clamp(min=1.0)

        return torch.cat([self.name_proj(mean(in_name)), self.state_proj(mean(present & ~in_name))], -1)

    def bearing(self, ids: torch.Tensor) -> torch.Tensor:
        """[N, H]: N bearings of up to `leading` words, each word by its position."""
        ids = nn.functional.pad(ids, (0, self.leading - ids.shape[1]))[:, : self.leading]
        return self.leading_proj(self.words(ids, None).flatten(1))

    def forward(self, name: torch.Tensor, state: torch.Tensor, bearing: torch.Tensor) -> torch.Tensor:
        return self.out(name + state + bearing)
