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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ..options import check_settings
from .base import NEG_INF, ActByScores, Observation, from_numpy, pad_ids
from .line_encoder import LineEncoder
from .lm_policy import context_encoder, instruction_words
from .registry import AGENTS
from .step_parts import StepParser, StepParts
from .tokenizer import WordTokenizer


@dataclass
class GroundedPolicyConfig:
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    intermediate: int = 128
    word_dim: int = 48
    max_positions: int = 128  # instruction words + observation lines
    max_instruction_words: int = 96  # an instruction's first words kept, so that a long one leaves room for lines
    max_line_words: int = 24
    relation_positions: int = 6  # leading relation words encoded by their position after the name
    dropout: float = 0.0
    pointer: bool = True  # actions scored given the line the summary points at (moves from its bearing)
    bind_candidates: bool = True  # candidates that name lines scored from those lines' states
    match_flags: bool = True  # words and lines flagged by what the instruction names
    match_position: int = 24  # flagged words also say where the instruction names them, up to this many words from its end

    def __post_init__(self) -> None:
        check_settings(self, {"hidden": 1, "layers": 1, "heads": 1, "intermediate": 1, "word_dim": 1,
                              "max_positions": 1, "max_instruction_words": 1, "max_line_words": 1,
                              "relation_positions": 1, "dropout": 0.0,
                              "match_position": 0},
                       below={"dropout": 1.0}, divides=("heads", "hidden"))


def _scatter(shape: Sequence[int], entries: Sequence[np.ndarray], batch_axis: int) -> torch.Tensor:
    """A zero tensor of `shape` with each observation's `entries` [n, index... value] written in, the
    observation's number inserted as index `batch_axis`, in one indexing call."""
    out = torch.zeros(tuple(shape))
    table = np.concatenate(entries) if entries else np.zeros((0, len(shape)))
    if len(table):
        index = [from_numpy(table[:, i].astype(np.int64)) for i in range(table.shape[1] - 1)]
        index.insert(batch_axis, from_numpy(np.repeat(np.arange(len(entries)), [len(e) for e in entries])))
        out[tuple(index)] = from_numpy(table[:, -1]).to(out.dtype)
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
        self.parser = StepParser(self.tokenizer, c.relation_positions, c.max_positions, instruction_words(c))
        self._cache: dict[str, dict[int, torch.Tensor]] = {}  # rollouts' encoded parts by id, for `_cache_version`
        self._cache_version = -1

    def spec(self) -> dict:
        """Everything needed to rebuild this policy before loading its weights."""
        return {"class": "GroundedPolicy", "config": asdict(self.config), "vocabulary": self.vocabulary}

    # ----- encoding ----------------------------------------------------------------------------
    def _weights_version(self) -> int:
        """Changes whenever any parameter is written in place (optimiser steps, load_state_dict)."""
        return sum(p._version for p in self.parameters())

    def _encode_parts(self, parts: np.ndarray, bearings: np.ndarray, instructions: torch.Tensor,
                      row_of: Mapping[str, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(line vectors, bearings, states, names), each [N, H], of N lines given by their part and bearing ids
        (:class:`~clsim.agents.step_parts.StepParser`); `row_of` gives each instruction's row in `instructions`.

        Each distinct part and bearing is encoded once per call; without gradients (rollouts) they are also
        kept across calls until the weights change.
        """

        def identities(ids: list[int]) -> torch.Tensor:
            items = [self.parser.parts[i] for i in ids]
            words = pad_ids(self.tokenizer.encode([t for t, _, _ in items]), self.config.max_line_words)
            owners = torch.tensor([row_of[instruction] for _, _, instruction in items], dtype=torch.long)
            return self.lines.identity(words, torch.tensor([n for _, n, _ in items]), instructions[owners])

        def bearing_vectors(ids: list[int]) -> torch.Tensor:
            return self.lines.bearing(pad_ids(self.tokenizer.encode([self.parser.bearings[i] for i in ids])))

        identity = self._distinct("i", parts, identities)
        bearing = self._distinct("b", bearings, bearing_vectors)
        names, states = identity.chunk(2, dim=-1)
        return self.lines(names, states, bearing), bearing, states, names

    def _distinct(self, kind: str, ids: np.ndarray, encode: Callable[[list[int]], torch.Tensor]) -> torch.Tensor:
        """``encode`` applied once per distinct id of `ids`, in the order they first occur, gathered back per
        id; without gradients, ids encoded in earlier calls (same weights) are reused."""
        distinct, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        keys = distinct[order].tolist()
        if torch.is_grad_enabled():
            table = encode(keys)
        else:
            cache = self._cache.setdefault(kind, {})
            fresh = [k for k in keys if k not in cache]
            if fresh:
                cache.update(zip(fresh, encode(fresh)))
            table = torch.stack([cache[k] for k in keys])
        return table[from_numpy(rank[inverse.reshape(-1)])]

    def _start_batch(self) -> None:
        """Drop the parsed steps once there are too many, and rollouts' encodings once the weights changed (or
        the part ids they are kept by were dropped)."""
        if self.parser.full():
            self.parser.clear()
            self._cache = {}
        if not torch.is_grad_enabled() and self._weights_version() != self._cache_version:
            self._cache, self._cache_version = {}, self._weights_version()

    def padded_scores(self, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probabilities ``[B, K]`` over candidates (``NEG_INF`` past each row's end) and the mask."""
        c = self.config
        self._start_batch()
        steps = [self.parser.parse(o) for o in observations]
        texts = [o["instruction"] for o in observations]
        row_of = {text: b for b, text in reversed(list(enumerate(texts)))}
        instructions = pad_ids(self.tokenizer.encode(texts), instruction_words(c))
        line_vecs, bearings, line_words, names = self._encode_parts(
            np.concatenate([s.line_parts for s in steps]), np.concatenate([s.line_bearings for s in steps]),
            instructions, row_of)

        # Context rows: [summary] + instruction words + lines, gathered from one source table. Each
        # observation's summary token starts from the lines its instruction names (what the task is about, in
        # their current state), so the state of the task is one step away from every decision.
        index, types, slots, flat_lines = self._layout(steps, instructions.shape[1])
        width = flat_lines.shape[1]
        has_name = torch.zeros(flat_lines.shape, dtype=torch.bool)
        has_name[flat_lines > 0] = from_numpy(np.concatenate([s.has_name for s in steps]))
        flags = from_numpy(np.concatenate([s.flags for s in steps]))
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
        context_mask = index > 0
        states = self.encoder(inputs_embeds=source[index], attention_mask=context_mask.long(),
                              token_type_ids=types).last_hidden_state
        summary = states[:, 0]
        line_states = states.gather(1, slots.unsqueeze(-1).expand(-1, -1, c.hidden))
        line_bearings = torch.cat([torch.zeros(1, c.hidden), bearings])[flat_lines]
        line_words = torch.cat([torch.zeros(1, c.hidden), line_words])[flat_lines]
        held = _scatter((len(observations), width, width), [s.held for s in steps], 0)  # [B, L, L]: what each
        line_words = line_words + self.contents_proj(held @ line_words)  # line's thing holds or carries

        # Candidates: their words, and the lines they name.
        flat, *_ = self._encode_parts(np.concatenate([s.candidate_parts for s in steps]),
                                      np.concatenate([s.candidate_bearings for s in steps]), instructions, row_of)
        counts = torch.tensor([len(o["candidates"]) for o in observations])
        valid = torch.arange(int(counts.max())) < counts.unsqueeze(1)  # [B, K]
        cand_rows = torch.where(valid, (counts.cumsum(0) - counts + 1).unsqueeze(1) + torch.arange(valid.shape[1]), 0)
        width = valid.shape[1]
        bound = [s.bound for s in steps] if c.bind_candidates else []
        binding, mention = _scatter((2, len(observations), width, slots.shape[1]), bound, 1)  # each [B, K, L]
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

    @staticmethod
    def _layout(steps: Sequence[StepParts], n_words: int
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Where each observation's context rows come from in the source table [zero, one summary per
        observation, every observation's instruction words (`n_words` each, padded), every line]: (rows [B, P],
        token types [B, P], each kept line's context position [B, L], each kept line's 1-based row in the
        flattened lines [B, L]); 0 pads every row."""
        b_count = len(steps)
        b = torch.arange(b_count).unsqueeze(1)
        words = torch.tensor([s.words for s in steps]).unsqueeze(1)
        kept = torch.tensor([s.kept for s in steps]).unsqueeze(1)
        counts = torch.tensor([len(s.line_parts) for s in steps])
        before = (counts.cumsum(0) - counts).unsqueeze(1)  # lines of the observations before each
        position = torch.arange(int((1 + words + kept).max())).unsqueeze(0)
        line = position - 1 - words  # the line at each context position, counted from the first
        is_line = (line >= 0) & (line < kept)
        rows = torch.where(position == 0, 1 + b, 0)
        rows = torch.where((position >= 1) & (position <= words), b_count + b * n_words + position, rows)
        rows = torch.where(is_line, 1 + b_count + b_count * n_words + before + line, rows)
        j = torch.arange(max(1, int(kept.max()))).unsqueeze(0)
        slots = torch.where(j < kept, 1 + words + j, 0)
        flat_lines = torch.where(j < kept, 1 + before + j, 0)
        return rows, is_line.long(), slots, flat_lines

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

