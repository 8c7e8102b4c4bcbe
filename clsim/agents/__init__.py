"""Agents: the Agent protocol, the transformers-based LMPolicy, and baselines."""

from . import grounded, knn, pretrained  # noqa: F401  (registration)
from .base import Agent, choose_actions, pad_logits
from .baselines import ExpertAgent, RandomAgent
from .lm_policy import LMPolicy, LMPolicyConfig
from .registry import agent_names, get_agent, make_agent

__all__ = ["Agent", "ExpertAgent", "LMPolicy", "LMPolicyConfig", "RandomAgent", "agent_names", "choose_actions",
           "get_agent", "make_agent", "pad_logits"]
