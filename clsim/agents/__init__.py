"""Agents: the Agent protocol, the transformers-based LMPolicy, and baselines."""

from .base import Agent, choose_actions, pad_logits
from .baselines import ExpertAgent, RandomAgent
from .lm_policy import LMPolicy, LMPolicyConfig

__all__ = ["Agent", "ExpertAgent", "LMPolicy", "LMPolicyConfig", "RandomAgent", "choose_actions", "pad_logits"]
