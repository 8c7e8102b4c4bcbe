"""GroundedPolicy, the default agent: actions grounded in the observation lines of the things they act on.

clsim's worlds render what the agent perceives as lines of one shape (a thing, where it is relative to
the agent, its state: "apple 1 ahead left 3 face ahead level hot at counter 2") and offer actions that
name those things ("PickupObject apple 1", "go to counter 2"). The policy uses that shape, with no
world-specific parser, so it learns a task type from a few dozen demonstrations:

* **Lines.** A line's *name* is its words up to its first number ("apple 1"); the rest are its
  *relation* words. Every word is embedded together with the word before it ("face left" is not
  "ahead left"); the first relation words are also encoded by their position after the name (where a
  bearing's fields sit), apart from the rest.
* **Instruction flags.** Each word is flagged when its stem occurs in the instruction (plurals match),
  together with where the instruction last names it, counted back from its end (``match_position``
  words): "stop by the plant" names its goal last however long the route before it, which is how a
  route instruction says where to stop. Each line also carries two numbers: how much the instruction
  names its thing, and how much it names a thing the line mentions ("at counter 1"). A word-match
  signal alone is too weak to learn from a few dozen demonstrations.
* **Context.** A 2-layer ``transformers`` encoder reads a summary token (started from the lines the
  instruction names), the instruction's words and one vector per line.
* **Pointer.** p(action) = sum over named lines i of p(heading for i) p(action | i): the summary points
  at the thing the agent is heading for, and given it, moves are scored from that line's bearing alone,
  and actions that name it (or what is in or at it) from its state.
* **Free text.** Every candidate is also scored from its own words, cross-attending to the context:
  this is all there is for candidates that name no line (stop, navigation's route descriptions).

``pointer``, ``bind_candidates``, ``match_flags`` and ``match_position`` switch parts off for ablations
(``benchmarks/agent_ablation.py``); ``lm-text`` (:class:`~clsim.agents.lm_policy.LMPolicy`) is the
free-text policy this one replaced as the default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ..options import check_settings
from .base import NEG_INF, ActByScores, Observation, pad_ids
from .line_encoder import LineEncoder
from .lines import bindings, contents, line_flags, line_name, split_line
from .lm_policy import context_encoder, split_lines
from .registry import AGENTS
from .tokenizer import WordTokenizer


@dataclass
class GroundedPolicyConfig:
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    intermediate: int = 128
    word_dim: int = 48
    max_positions: int = 128  # instruction words + observation lines
    max_line_words: int = 24
    relation_positions: int = 6  # leading relation words encoded by their position after the name
    dropout: float = 0.0
    pointer: bool = True  # actions scored given the line the summary points at (moves from its bearing)
    bind_candidates: bool = True  # candidates that name lines scored from those lines' states
    match_flags: bool = True  # words and lines flagged by what the instruction names
    match_position: int = 24  # flagged words also say where the instruction names them, up to this many words from its end

    def __post_init__(self) -> None:
        check_settings(self, {"hidden": 1, "layers": 1, "heads": 1, "intermediate": 1, "word_dim": 1,
                              "max_positions": 1, "max_line_words": 1, "relation_positions": 1, "dropout": 0.0,
                              "match_position": 0},
                       below={"dropout": 1.0}, divides=("heads", "hidden"))


def _scatter(shape: Sequence[int], entries: list[tuple]) -> torch.Tensor:
    """A zero tensor of `shape` with `entries` (index..., value) written in, in one indexing call."""
    out = torch.zeros(tuple(shape))
    if entries:
        *index, values = zip(*entries)
        out[tuple(torch.tensor(i, dtype=torch.long) for i in index)] = torch.tensor(values, dtype=out.dtype)
    return out


@AGENTS.register("lm")
class GroundedPolicy(ActByScores, nn.Module):
    """Scores candidates grounded in the observation lines they act on (see the module doc)."""

    config_class = GroundedPolicyConfig

    def __init__(self, vocabulary: Sequence[str], config: GroundedPolicyConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config or GroundedPolicyConfig()
        self.vocabulary = list(vocabulary)
        self.tokenizer = WordTokenizer(self.vocabulary)
        c = self.config
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.lines = LineEncoder(self.tokenizer, c)
            self.word_proj = nn.Linear(c.word_dim, c.hidden)
            self.summary = nn.Parameter(torch.randn(c.hidden) * 0.02)
            self.encoder = context_encoder(c, attention_dropout=0.0)
            self.point_query = nn.Linear(c.hidden, c.hidden)
            self.point_key = nn.Linear(c.hidden, c.hidden)
            self.pair_candidate = nn.Linear(c.hidden, c.hidden)
            self.pair_line = nn.Sequential(nn.Linear(c.hidden, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.hidden))
            self.bound_candidate = nn.Linear(c.hidden, c.hidden)
            self.mention_candidate = nn.Linear(c.hidden, c.hidden)
            self.pair_bound = nn.Sequential(nn.Linear(c.hidden, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.hidden))
            self.query = nn.Linear(c.hidden, c.hidden)
            self.context_query = nn.Linear(c.hidden, c.hidden, bias=False)
            self.key = nn.Linear(c.hidden, c.hidden)
            self.value = nn.Linear(c.hidden, c.hidden)
            self.unbound = nn.Parameter(torch.zeros(c.hidden))
            self.point_named = nn.Linear(c.hidden, 2)
            self.point_summary = nn.Linear(c.hidden, c.hidden)
            self.point_line = nn.Linear(c.hidden, c.hidden)
            self.point_mlp = nn.Sequential(nn.GELU(), nn.Linear(c.hidden + 2, c.hidden), nn.GELU(), nn.Linear(c.hidden, 1))
            self.flag_proj = nn.Linear(2, c.hidden)
            self.about = nn.Linear(c.hidden, c.hidden)
            self.contents_proj = nn.Linear(c.hidden, c.hidden)
            self.affinity = nn.Linear(c.word_dim, c.hidden, bias=False)
            self.point_called = nn.Linear(c.hidden, 1)
            self.score_head = nn.Sequential(nn.Linear(5 * c.hidden, c.hidden), nn.GELU(), nn.Linear(c.hidden, 1))
        self._cache: dict[tuple, torch.Tensor] = {}  # rollouts' encoded line parts, valid for `_cache_version`
        self._cache_version = -1

    def spec(self) -> dict:
        """Everything needed to rebuild this policy before loading its weights."""
        return {"class": "GroundedPolicy", "config": asdict(self.config), "vocabulary": self.vocabulary}

    # ----- encoding ----------------------------------------------------------------------------
    def _weights_version(self) -> int:
        """Changes whenever any parameter is written in place (optimiser steps, load_state_dict)."""
        return sum(p._version for p in self.parameters())

    def _encode_lines(self, texts: Sequence[Sequence[str]], instructions: Sequence[str], instruction_ids: torch.Tensor,
                      named: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(line vectors, bearings, states, names) of every observation's lines, flattened in order, each [N, H].

        Each distinct bearing-free part (per instruction) and each distinct bearing is encoded once per call;
        without gradients (rollouts) they are also kept across calls until the weights change.
        """
        caching = not torch.is_grad_enabled()
        if caching and (self._weights_version() != self._cache_version or len(self._cache) > 200_000):
            self._cache, self._cache_version = {}, self._weights_version()
        leading = self.config.relation_positions
        parts = [(b, split_line(t, named, leading)) for b, lines in enumerate(texts) for t in lines]

        def identities(items: list[tuple[str, int, int]]) -> torch.Tensor:
            ids = pad_ids(self.tokenizer.encode([t for t, _, _ in items]), self.config.max_line_words)
            owners = torch.tensor([b for _, _, b in items], dtype=torch.long)
            return self.lines.identity(ids, torch.tensor([n for _, n, _ in items]), instruction_ids[owners])

        identity = self._unique([(("i", instructions[b], rest, n), (rest, n, b)) for b, (n, rest, _) in parts],
                                identities, caching)
        bearing = self._unique([(("b", bearing), bearing) for _, (_, _, bearing) in parts],
                               lambda items: self.lines.bearing(pad_ids(self.tokenizer.encode(items))), caching)
        names, states = identity.chunk(2, dim=-1)
        return self.lines(names, states, bearing), bearing, states, names

    def _unique(self, items: list[tuple[tuple, Any]], encode: Callable[[list[Any]], torch.Tensor],
                caching: bool) -> torch.Tensor:
        """``encode`` applied once per distinct key of `items` (key, payload), gathered back in order; with
        `caching`, keys encoded in earlier calls (same weights) are reused."""
        slot: dict[tuple, int] = {}
        for key, _ in items:
            slot.setdefault(key, len(slot))
        keys = list(slot)
        payloads = dict(items)
        fresh = [k for k in keys if not (caching and k in self._cache)]
        encoded = encode([payloads[k] for k in fresh]) if fresh else None
        if caching and encoded is not None:
            self._cache.update(zip(fresh, encoded))
        if caching:
            table = torch.stack([self._cache[k] for k in keys])
        else:
            table = encoded
        return table[torch.tensor([slot[key] for key, _ in items], dtype=torch.long)]

    def padded_scores(self, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probabilities ``[B, K]`` over candidates (``NEG_INF`` past each row's end) and the mask."""
        c = self.config
        texts = [o["instruction"] for o in observations]
        instructions = pad_ids(self.tokenizer.encode(texts))
        line_texts = [split_lines(o["observation"]) for o in observations]
        line_vecs, bearings, line_words, names = self._encode_lines(line_texts, texts, instructions, named=True)

        # Context rows: [summary] + instruction words + lines, gathered from one source table. Each
        # observation's summary token starts from the lines its instruction names (what the task is about, in
        # their current state), so the state of the task is one step away from every decision.
        rows, types, line_slots, line_rows = self._layout(instructions, [len(lines) for lines in line_texts])
        width = max(1, max(len(r) for r in line_rows))
        has_name = torch.tensor([[bool(line_name(t)) for t in lines[: len(line_rows[b])]]
                                 + [False] * (width - len(line_rows[b])) for b, lines in enumerate(line_texts)])
        flat_lines = pad_ids(line_rows)  # [B, L] row of each line in the flattened line tensors (0: none)
        # Which line names or mentions which thing does not depend on bearings: worked out on the bearing-free
        # lines, which repeat across an episode's steps (the helpers cache by them).
        bare = [tuple(split_line(t, True, c.relation_positions)[1] for t in lines) for lines in line_texts]
        flags = torch.tensor([f for b in range(len(observations)) for f in line_flags(texts[b], bare[b])])
        flags = flags if c.match_flags else torch.zeros_like(flags)
        line_vecs = line_vecs + self.flag_proj(flags)
        named, at_named = torch.cat([torch.zeros(1, 2), flags])[flat_lines].unbind(-1)  # [B, L] each
        # How strongly some instruction word calls for each line's thing, by a learned word-to-name affinity:
        # "heat" for the microwave, which the instruction need not name.
        affinity = self.affinity(self.lines.words.embed(instructions)) @ torch.cat(
            [torch.zeros(1, c.hidden), names])[flat_lines].transpose(1, 2)  # [B, I, L]
        called = affinity.masked_fill((instructions == 0).unsqueeze(-1), NEG_INF).amax(1) / math.sqrt(c.hidden)
        padded_lines = torch.cat([torch.zeros(1, c.hidden), line_vecs])[flat_lines]
        about = (named.unsqueeze(-1) * padded_lines).sum(1) / named.sum(1, keepdim=True).clamp(min=1.0)
        words = self.word_proj(self.lines.words.embed(instructions))
        source = torch.cat([torch.zeros(1, c.hidden), self.summary + self.about(about), words.flatten(0, 1), line_vecs])
        index = pad_ids(rows)
        context_mask = index > 0
        states = self.encoder(inputs_embeds=source[index], attention_mask=context_mask.long(),
                              token_type_ids=pad_ids(types)).last_hidden_state
        summary = states[:, 0]
        slots = pad_ids(line_slots)  # [B, L] context position of each line (0: none)
        line_states = states.gather(1, slots.unsqueeze(-1).expand(-1, -1, c.hidden))
        line_bearings = torch.cat([torch.zeros(1, c.hidden), bearings])[flat_lines]
        line_words = torch.cat([torch.zeros(1, c.hidden), line_words])[flat_lines]
        held = _scatter((len(observations), width, width), [  # [B, L, L]: what each line's thing holds or carries
            (b, *entry) for b, lines in enumerate(bare) for entry in contents(lines[: len(line_rows[b])])])
        line_words = line_words + self.contents_proj(held @ line_words)

        # Candidates: their words, and the lines they name.
        candidates = [list(o["candidates"]) for o in observations]
        flat, *_ = self._encode_lines(candidates, texts, instructions, named=False)
        width = max(len(k) for k in candidates)
        cand_rows = torch.zeros((len(candidates), width), dtype=torch.long)
        valid = torch.zeros((len(candidates), width), dtype=torch.bool)
        cand_start, bound_to = 1, []
        for b, options in enumerate(candidates):
            cand_rows[b, : len(options)] = torch.arange(cand_start, cand_start + len(options))
            valid[b, : len(options)] = True
            cand_start += len(options)
            if c.bind_candidates:
                bound_to += [(kind, b, k, j, weight) for k, j, weight, kind
                             in bindings(bare[b][: len(line_slots[b])], tuple(options))]
        binding, mention = _scatter((2, len(candidates), width, slots.shape[1]), bound_to)  # each [B, K, L]
        cands = torch.cat([torch.zeros(1, flat.shape[1]), flat])[cand_rows]  # [B, K, H]

        query = self.query(cands) + self.context_query(summary).unsqueeze(1)
        attn = query @ self.key(states).transpose(1, 2) / math.sqrt(c.hidden)
        attn = attn.masked_fill(~context_mask.unsqueeze(1), NEG_INF).softmax(-1)
        read = attn @ self.value(states)
        s = summary.unsqueeze(1).expand_as(cands)
        if c.pointer:  # given a target, what an action does to it is scored in the pointer's terms below
            bound = torch.zeros_like(cands)
        else:  # the states of the lines each candidate names, or a learned vector for one that names none
            bound = binding @ line_states + (1 - binding.sum(-1, keepdim=True)) * self.unbound
        base = self.score_head(torch.cat([cands, cands * s, cands * read, bound, cands * bound], -1)).squeeze(-1)
        base = base.masked_fill(~valid, NEG_INF)
        if not c.pointer:
            return base.log_softmax(-1).masked_fill(~valid, NEG_INF), valid

        # The pointer: p(action) = sum over named lines i of p(heading for i) * p(action | heading for i), where
        # the action given a target is scored from the target's bearing, its state, and whether the action names
        # it or what is in or at it.
        point = self._point(summary, line_states, line_words, torch.stack([named, at_named], -1), called, has_name)
        target = self.pair_line(line_bearings)  # [B, L, H]: the bearing alone
        act_on = self.pair_bound(line_states + line_words)  # [B, L, H]: the line in context, and its own words
        given = (base.unsqueeze(1) + torch.einsum("bkh,blh->blk", self.pair_candidate(cands), target)
                 + binding.transpose(1, 2) * torch.einsum("bkh,blh->blk", self.bound_candidate(cands), act_on)
                 + mention.transpose(1, 2) * torch.einsum("bkh,blh->blk", self.mention_candidate(cands), act_on))
        given = given.masked_fill(~valid.unsqueeze(1), NEG_INF).log_softmax(-1)  # [B, L, K]
        mixed = torch.logsumexp(point.unsqueeze(-1) + given, dim=1)
        no_lines = ~has_name.any(1, keepdim=True)
        mixed = torch.where(no_lines, base.log_softmax(-1), mixed)
        return mixed.masked_fill(~valid, NEG_INF), valid

    def _layout(self, instructions: torch.Tensor, counts: list[int]
                ) -> tuple[list[list[int]], list[list[int]], list[list[int]], list[list[int]]]:
        """Where each observation's context rows come from in the source table [zero, one summary per
        observation, every observation's instruction words, every line], given `counts` lines each: (rows,
        token types, each line's context position, each line's 1-based row in the flattened lines). Lines past
        ``max_positions`` are cut."""
        b_count, n_words = instructions.shape
        lengths = (instructions > 0).sum(1).tolist()
        rows, types, line_slots, line_rows = [], [], [], []
        start, flat_start = 1 + b_count + b_count * n_words, 1
        for b, count in enumerate(counts):
            word_rows = [1 + b_count + b * n_words + i for i in range(lengths[b])]
            kept = max(0, min(count, self.config.max_positions - len(word_rows)))
            rows.append([1 + b] + word_rows + list(range(start, start + kept)))
            types.append([0] * (1 + len(word_rows)) + [1] * kept)
            line_slots.append([1 + len(word_rows) + j for j in range(kept)])
            line_rows.append(list(range(flat_start, flat_start + kept)))
            start += count
            flat_start += count
        return rows, types, line_slots, line_rows

    def _point(self, summary: torch.Tensor, states: torch.Tensor, words: torch.Tensor, flags: torch.Tensor,
               called: torch.Tensor, has_name: torch.Tensor) -> torch.Tensor:
        """log p(heading for line i) ``[B, L]`` over the named lines, from the summary, each line in context
        (`states`) and by its own state words, its instruction flags [B, L, 2], and how strongly the
        instruction calls for it."""
        key = self.point_key(states + words)
        point = (self.point_query(summary).unsqueeze(1) * key).sum(-1) / math.sqrt(self.config.hidden)
        point = point + (self.point_named(summary).unsqueeze(1) * flags).sum(-1)  # how much the flags count now
        point = point + self.point_called(summary) * called
        line = self.point_line(states + words)  # summed apart from the key's: the trained weights depend on it
        point = point + self.point_mlp(torch.cat([self.point_summary(summary).unsqueeze(1) + line, flags], -1)).squeeze(-1)
        return point.masked_fill(~has_name, NEG_INF).log_softmax(-1)

    # ----- Agent protocol ------------------------------------------------------------------
    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]:
        logits, valid = self.padded_scores(observations)
        return [row[m] for row, m in zip(logits, valid)]
