"""LMPolicy: a small ``transformers`` encoder, trained from scratch, that scores candidates.

Observations in clsim are structured text: one line per station (or per landmark), with
its egocentric offset and contents. Encoding ~200 words per step with a token-level
transformer costs ~0.5 s per 64 steps on two CPU cores, too slow for online learning
with batched evaluation. So each line is first embedded by a cheap position-aware line
encoder (its leading words by position, all its words as a bag), and the BERT encoder
attends over the instruction's words and these line vectors (~30 positions). Candidates
are embedded by the same line encoder and scored by cross-attention to the context.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from transformers import BertConfig, BertModel

from ..options import check_settings
from .base import NEG_INF, ActByScores, Observation, pad_ids
from .registry import AGENTS
from .tokenizer import WordTokenizer


@dataclass
class LMPolicyConfig:
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    intermediate: int = 128
    word_dim: int = 32
    line_head: int = 12  # leading words of a line encoded by their position
    max_positions: int = 128  # instruction words + observation lines
    max_instruction_words: int = 96  # an instruction's first words kept, so that a long one leaves room for lines
    dropout: float = 0.0  # the stream is seen a few times only; dropout slows learning more than it helps
    max_line_words: int = 16

    def __post_init__(self) -> None:
        check_settings(self, {"hidden": 1, "layers": 1, "heads": 1, "intermediate": 1, "word_dim": 1, "line_head": 1,
                              "max_positions": 1, "max_instruction_words": 1, "max_line_words": 1, "dropout": 0.0},
                       below={"dropout": 1.0}, divides=("heads", "hidden"))


def context_encoder(config: Any, attention_dropout: float) -> BertModel:
    """The small BERT both line policies run over [summary] + instruction words + line vectors (fed as
    embeddings, so its own vocabulary is a stub); two token types tell words from lines."""
    return BertModel(BertConfig(
        vocab_size=4, hidden_size=config.hidden, num_hidden_layers=config.layers, num_attention_heads=config.heads,
        intermediate_size=config.intermediate, max_position_embeddings=config.max_positions + 1,
        hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=attention_dropout, type_vocab_size=2,
    ), add_pooling_layer=False)


def instruction_words(config: Any) -> int:
    """How many of an instruction's words a line policy reads: its first ones, at most `max_instruction_words`
    and never more than the context holds (a TextWorld objective runs to 150 words; the lines must still fit)."""
    return min(config.max_instruction_words, config.max_positions)


def split_lines(text: str) -> list[str]:
    """The lines of a rendered observation (sentences ending in ' .')."""
    return [line.strip() for line in text.split(" .") if line.strip()]


class LineEncoder(nn.Module):
    """Embeds a short line of words in the light of the instruction.

    Each word gets an exact-match flag (does it occur in the instruction?) and a soft
    alignment to the instruction's words (DrQA's aligned question embedding), so a line that
    mentions what the task is about stands out before any layer has learned to look for it.
    The line vector combines its leading words by position with a bag of all its words.
    """

    def __init__(self, vocab_size: int, config: LMPolicyConfig) -> None:
        super().__init__()
        self.head = config.line_head
        d = config.word_dim
        self.embed = nn.Embedding(vocab_size, d, padding_idx=0)
        self.match = nn.Embedding(2, d)
        self.align = nn.Linear(d, d, bias=False)
        self.head_proj = nn.Linear(config.line_head * 2 * d, config.hidden)
        self.bag_proj = nn.Linear(2 * d, config.hidden)
        self.out = nn.Sequential(nn.GELU(), nn.Linear(config.hidden, config.hidden), nn.LayerNorm(config.hidden))

    def forward(self, ids: torch.Tensor, instruction: torch.Tensor) -> torch.Tensor:
        """`ids` [N, S] word ids of N lines; `instruction` [N, I] the ids of each line's instruction."""
        if ids.shape[1] < self.head:
            ids = nn.functional.pad(ids, (0, self.head - ids.shape[1]))
        e = self.embed(ids)
        words = self.embed(instruction)
        exact = ((ids.unsqueeze(-1) == instruction.unsqueeze(1)) & (instruction > 0).unsqueeze(1)).any(-1)
        e = e + self.match(exact.long())
        affinity = self.align(e) @ words.transpose(1, 2)
        affinity = affinity.masked_fill((instruction == 0).unsqueeze(1), NEG_INF).softmax(-1)
        features = torch.cat([e, e * (affinity @ words)], -1)
        present = (ids > 0).unsqueeze(-1).to(e.dtype)
        bag = (features * present).sum(1) / present.sum(1).clamp(min=1.0)
        return self.out(self.head_proj(features[:, : self.head].flatten(1)) + self.bag_proj(bag))


@AGENTS.register("lm-text")
class LMPolicy(ActByScores, nn.Module):
    """A small transformers encoder trained from scratch that scores candidate actions (see the module doc)."""

    config_class = LMPolicyConfig

    def __init__(self, vocabulary: Sequence[str], config: LMPolicyConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or LMPolicyConfig()
        self.vocabulary = list(vocabulary)
        self.tokenizer = WordTokenizer(self.vocabulary)
        c = self.config
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.lines = LineEncoder(len(self.tokenizer), c)
            self.word_proj = nn.Linear(c.word_dim, c.hidden)
            self.cls = nn.Parameter(torch.randn(c.hidden) * 0.02)
            self.encoder = context_encoder(c, attention_dropout=c.dropout)
            self.query = nn.Linear(c.hidden, c.hidden)
            self.context_query = nn.Linear(c.hidden, c.hidden, bias=False)
            self.key = nn.Linear(c.hidden, c.hidden)
            self.value = nn.Linear(c.hidden, c.hidden)
            self.score_head = nn.Sequential(nn.Linear(4 * c.hidden, c.hidden), nn.GELU(), nn.Linear(c.hidden, 1))

    def spec(self) -> dict:
        """Everything needed to rebuild this policy before loading its weights."""
        return {"class": "LMPolicy", "config": asdict(self.config), "vocabulary": self.vocabulary}

    # ----- encoding ----------------------------------------------------------------------
    def _encode_lines(self, texts_per_obs: Sequence[Sequence[str]], instructions: torch.Tensor) -> torch.Tensor:
        """Line vectors of every observation's lines, flattened in order, ``[sum of lines, H]``.

        A line's vector depends only on its words and its instruction, and most lines repeat
        across the steps of an episode (the candidates nearly always), so each distinct
        (instruction, line) pair is encoded once per batch and gathered back: about half
        the rows of a training batch, with the same result.
        """
        keys = [tuple(row) for row in instructions.tolist()]
        slot: dict[tuple[tuple[int, ...], str], int] = {}
        texts, owners, positions = [], [], []
        for b, lines in enumerate(texts_per_obs):
            for text in lines:
                key = (keys[b], text)
                if key not in slot:
                    slot[key] = len(texts)
                    texts.append(text)
                    owners.append(b)
                positions.append(slot[key])
        ids = pad_ids(self.tokenizer.encode(texts), self.config.max_line_words)
        vectors = self.lines(ids, instructions[torch.tensor(owners, dtype=torch.long)])
        return vectors[torch.tensor(positions, dtype=torch.long)]

    def _context(self, observations: Sequence[Observation], instructions: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Contextual states ``[B, L, H]`` over [CLS] + instruction words + observation lines."""
        c = self.config
        line_texts = [split_lines(o["observation"]) for o in observations]
        line_vecs = self._encode_lines(line_texts, instructions)
        words = self.word_proj(self.lines.embed(instructions))
        # One gather builds every row: [CLS] + its instruction words + its lines, then padding.
        source = torch.cat([torch.zeros(1, c.hidden), self.cls.unsqueeze(0), words.flatten(0, 1), line_vecs])
        n_words = instructions.shape[1]
        lengths = (instructions > 0).sum(1).tolist()
        rows, types = [], []
        start = 2 + len(observations) * n_words
        for b, lines in enumerate(line_texts):
            word_rows = [2 + b * n_words + i for i in range(lengths[b])]
            line_rows = list(range(start, start + len(lines)))
            rows.append(([1] + word_rows + line_rows)[: c.max_positions + 1])
            types.append([0] * (1 + len(word_rows)) + [1] * len(line_rows))
            start += len(lines)
        index = pad_ids(rows)
        mask = (index > 0).long()
        types = pad_ids(types)[:, : index.shape[1]]
        states = self.encoder(inputs_embeds=source[index], attention_mask=mask,
                              token_type_ids=types).last_hidden_state
        return states, mask.bool()

    def padded_scores(self, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``[B, K]`` over candidates (``NEG_INF`` past each row's end) and the mask."""
        instructions = pad_ids(self.tokenizer.encode([o["instruction"] for o in observations]),
                               instruction_words(self.config))
        states, context_mask = self._context(observations, instructions)
        candidates = [list(o["candidates"]) for o in observations]
        flat = self._encode_lines(candidates, instructions)
        width = max(len(c) for c in candidates)
        index = torch.zeros((len(candidates), width), dtype=torch.long)
        valid = torch.zeros((len(candidates), width), dtype=torch.bool)
        start = 1
        for i, c in enumerate(candidates):
            index[i, : len(c)] = torch.arange(start, start + len(c))
            valid[i, : len(c)] = True
            start += len(c)
        cands = torch.cat([torch.zeros(1, flat.shape[1]), flat])[index]  # [B, K, H]
        cls = states[:, :1].expand_as(cands)
        query = self.query(cands) + self.context_query(cls)  # what to look for depends on the task
        attn = query @ self.key(states).transpose(1, 2) / math.sqrt(self.config.hidden)
        attn = attn.masked_fill(~context_mask.unsqueeze(1), NEG_INF).softmax(-1)
        summary = attn @ self.value(states)
        logits = self.score_head(torch.cat([cands, summary, cands * summary, cls * cands], -1)).squeeze(-1)
        return logits.masked_fill(~valid, NEG_INF), valid

