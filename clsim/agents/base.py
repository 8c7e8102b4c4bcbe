"""The Agent protocol and the helpers every score-based agent shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

Observation = Mapping[str, Any]
NEG_INF = -1e9


def from_numpy(array: np.ndarray) -> torch.Tensor:
    """`array` as a tensor where the run's tensors live (``--device``), floating point in the run's ``--dtype``;
    ``torch.from_numpy`` would keep numpy's CPU memory and dtype."""
    dtype = torch.get_default_dtype() if np.issubdtype(array.dtype, np.floating) else None
    return torch.as_tensor(array, dtype=dtype, device=torch.get_default_device())


@runtime_checkable
class Agent(Protocol):
    """What the evaluator and learners need from an agent.

    ``scores`` returns one 1-D tensor of logits per observation, over its candidates.
    ``act`` picks a candidate index per observation (argmax when greedy, else a sample).
    Agents with ``privileged = True`` also receive ``observation["expert_action"]``.
    """

    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]: ...

    def act(self, observations: Sequence[Observation], greedy: bool = True) -> list[int]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> Any: ...


def pad_logits(scores: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ragged per-observation logits into ``[B, K]`` plus a validity mask."""
    width = max(len(s) for s in scores)
    logits = torch.full((len(scores), width), NEG_INF, dtype=scores[0].dtype)
    mask = torch.zeros((len(scores), width), dtype=torch.bool)
    for i, s in enumerate(scores):
        logits[i, : len(s)] = s
        mask[i, : len(s)] = True
    return logits, mask


def score_batch(agent: Any, observations: Sequence[Observation]) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits ``[B, K]`` over each observation's candidates (``NEG_INF`` past its end) and the validity mask:
    the agent's own ``padded_scores`` where it has one (no per-row split and re-stack, in the forward pass or
    the backward), else its ``scores`` padded."""
    padded = getattr(agent, "padded_scores", None)
    return padded(observations) if callable(padded) else pad_logits(agent.scores(observations))


def pad_ids(rows: Sequence[Sequence[int]], limit: int | None = None) -> torch.Tensor:
    """Token-id rows right-padded with 0 to the longest (at most `limit` ids each), as one ``long`` tensor."""
    width = max(1, max((len(r) for r in rows), default=1))
    if limit is not None and width > limit:
        width, rows = limit, [r[:limit] for r in rows]
    return torch.tensor([list(r) + [0] * (width - len(r)) for r in rows], dtype=torch.long)


def choose_actions(logits: torch.Tensor, mask: torch.Tensor, greedy: bool,
                   generator: torch.Generator | None = None) -> list[int]:
    """Argmax or a sample from the masked softmax, per row."""
    logits = logits.masked_fill(~mask, NEG_INF)
    if greedy:
        return logits.argmax(dim=-1).tolist()
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1).tolist()


class ActByScores:
    """``act`` for torch agents that define ``padded_scores``: scored in eval mode without
    gradients, the module's own train/eval mode restored afterwards."""

    @torch.no_grad()
    def act(self, observations: Sequence[Observation], greedy: bool = True,
            generator: torch.Generator | None = None) -> list[int]:
        was_training = self.training
        self.eval()
        try:
            logits, valid = self.padded_scores(observations)
        finally:
            self.train(was_training)
        return choose_actions(logits, valid, greedy, generator)

    def scores(self, observations: Sequence[Observation]) -> list[torch.Tensor]:
        """Each observation's logits over its own candidates: ``padded_scores``' rows without their padding."""
        logits, valid = self.padded_scores(observations)
        return [row[m] for row, m in zip(logits, valid)]
