"""stable-baselines3 for clsim: a wrapper that tokenises observations, and a maskable actor-critic
policy whose actor is any clsim agent.

SB3 stores observations as fixed-size arrays, so `TokenizedCandidates` turns a world's text
observation into word ids (instruction, observation, candidates) and exposes the candidate mask
as ``action_masks()`` for sb3-contrib's MaskablePPO. `AgentActorCritic` decodes the ids back to
text and lets the agent score the candidates: PPO then trains exactly the policy that imitation
learners train and the evaluator rolls out (the LM policy by default, a pretrained encoder or a
plug-in alike), instead of a separate network that would make RL and imitation incomparable.
The critic is a small bag-of-words value network of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from torch import nn

from .base import NEG_INF, Observation, score_batch
from .tokenizer import WordTokenizer


class CandidateArrays:
    """A world's text observation as fixed-size word-id arrays, the form SB3 stores.

    ``instruction [I]``, ``observation [O]`` and ``candidates [K, W]`` for K action slots, and the
    mask of the slots that hold a candidate. A text longer than its array raises a ValueError that
    names the field and the limit, rather than silently dropping words the policy would need.
    """

    def __init__(self, vocabulary: Sequence[str], slots: int, instruction_words: int = 128,
                 observation_words: int = 512, candidate_words: int = 16) -> None:
        self.tokenizer = WordTokenizer(vocabulary)
        self.slots = slots
        self.limits = {"instruction": instruction_words, "observation": observation_words,
                       "candidate": candidate_words}
        top = len(self.tokenizer) - 1
        self.space = spaces.Dict({
            "instruction": spaces.Box(0, top, (instruction_words,), np.int64),
            "observation": spaces.Box(0, top, (observation_words,), np.int64),
            "candidates": spaces.Box(0, top, (slots, candidate_words), np.int64),
        })

    def encode(self, observation: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The arrays of one observation and its candidate mask ``bool [K]``."""
        candidates = list(observation["candidates"])
        if len(candidates) > self.slots:
            raise ValueError(f"{len(candidates)} candidates do not fit the action space's {self.slots}")
        rows = np.zeros((self.slots, self.limits["candidate"]), dtype=np.int64)
        for i, ids in enumerate(self.tokenizer.encode(candidates)):
            rows[i] = self._ids(ids, "candidate", candidates[i])
        arrays = {field: self._ids(self.tokenizer.encode([observation[field]])[0], field, observation[field])
                  for field in ("instruction", "observation")}
        return arrays | {"candidates": rows}, np.arange(self.slots) < len(candidates)

    def _ids(self, ids: list[int], field: str, text: str) -> np.ndarray:
        limit = self.limits[field]
        if len(ids) > limit:
            raise ValueError(f"{field} of {len(ids)} words exceeds the wrapper's {field}_words={limit}: {text[:80]!r}")
        return np.asarray(ids + [0] * (limit - len(ids)), dtype=np.int64)


class TokenizedCandidates(gym.ObservationWrapper):
    """A Gymnasium env with :class:`CandidateArrays` observations and ``action_masks()`` for MaskablePPO.

    K is the env's ``Discrete`` action count; keyword arguments set the arrays' word limits.
    """

    def __init__(self, env: gym.Env, vocabulary: Sequence[str], **limits: int) -> None:
        super().__init__(env)
        if not isinstance(env.action_space, spaces.Discrete):
            raise ValueError(f"TokenizedCandidates needs a Discrete action space, got {env.action_space}")
        self.arrays = CandidateArrays(vocabulary, int(env.action_space.n), **limits)
        self.tokenizer = self.arrays.tokenizer
        self.observation_space = self.arrays.space
        self._mask = np.zeros(self.arrays.slots, dtype=bool)

    def observation(self, observation: dict[str, Any]) -> dict[str, np.ndarray]:
        arrays, self._mask = self.arrays.encode(observation)
        return arrays

    def action_masks(self) -> np.ndarray:
        """Valid action indices of the current observation (MaskablePPO asks the env for these)."""
        return self._mask.copy()


def decode_observations(batch: dict[str, torch.Tensor], words: Sequence[str]) -> list[Observation]:
    """The text observations behind a batch of `TokenizedCandidates` arrays (lower-cased words)."""
    def text(row: Sequence[int]) -> str:
        return " ".join(words[i] for i in row if i > 0)

    instructions = batch["instruction"].long().tolist()
    observations = batch["observation"].long().tolist()
    candidates = batch["candidates"].long().tolist()
    return [{"instruction": text(i), "observation": text(o),
             "candidates": tuple(text(c) for c in cands if any(c))}
            for i, o, cands in zip(instructions, observations, candidates)]


class BagOfWordsCritic(nn.Module):
    """State value from the mean embedding of the instruction's and the observation's words."""

    def __init__(self, vocab_size: int, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, hidden, mode="mean", padding_idx=0)
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = [self.embed(batch[key].long()) for key in ("instruction", "observation")]
        return self.head(torch.cat(parts, -1))


class AgentActorCritic(MaskableActorCriticPolicy):
    """MaskablePPO's policy with a clsim agent as the actor (see the module doc).

    Built by SB3 as ``cls(observation_space, action_space, lr_schedule, agent=…, words=…)``;
    the agent's parameters and the critic's share one Adam optimiser.
    """

    def __init__(self, observation_space: spaces.Dict, action_space: spaces.Discrete, lr_schedule: Any,
                 agent: nn.Module, words: Sequence[str], critic_hidden: int = 64) -> None:
        super().__init__(observation_space, action_space, lr_schedule, ortho_init=False)
        self.agent = agent
        self.words = list(words)
        self.critic = BagOfWordsCritic(len(self.words), critic_hidden)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)

    def _build(self, lr_schedule: Any) -> None:
        """Nothing to build from SB3's MLP defaults: the actor is the agent, the critic is made in __init__."""

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "agent": self.agent, "words": self.words}

    def action_logits(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """The agent's logits over every action slot, ``NEG_INF`` past its candidates."""
        logits, _ = score_batch(self.agent, decode_observations(obs, self.words))
        return nn.functional.pad(logits, (0, int(self.action_space.n) - logits.shape[1]), value=NEG_INF)

    def _distribution(self, obs: dict[str, torch.Tensor], action_masks: Any) -> Any:
        distribution = self.action_dist.proba_distribution(action_logits=self.action_logits(obs))
        if action_masks is not None:
            distribution.apply_masking(action_masks)
        return distribution

    def forward(self, obs: dict[str, torch.Tensor], deterministic: bool = False,
                action_masks: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        distribution = self._distribution(obs, action_masks)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, self.critic(obs), distribution.log_prob(actions)

    def evaluate_actions(self, obs: dict[str, torch.Tensor], actions: torch.Tensor,
                         action_masks: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        distribution = self._distribution(obs, action_masks)
        return self.critic(obs), distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs: dict[str, torch.Tensor], action_masks: np.ndarray | None = None) -> Any:
        return self._distribution(obs, action_masks)

    def predict_values(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.critic(obs)
