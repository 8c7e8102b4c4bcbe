"""Agent registry: the trainable agents a run can use, and plug-ins (``module:Class`` or ``clsim.agents``).

A plug-in agent is built as ``cls(vocabulary, seed=seed)``: the world's words and the run's seed.
Learners train it through ``scores`` (differentiable logits) and ``parameters()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..plugins import construct, resolve
from .lm_policy import LMPolicy, LMPolicyConfig

AGENTS: dict[str, type] = {"lm": LMPolicy}
ENTRY_POINTS = "clsim.agents"
PROTOCOL = ("scores", "act", "state_dict", "load_state_dict", "parameters")


def agent_names() -> list[str]:
    return sorted(AGENTS)


def get_agent(name: str) -> type:
    return resolve(name, AGENTS, ENTRY_POINTS, "agent", PROTOCOL)


def make_agent(name: str, vocabulary: Sequence[str], policy_config: LMPolicyConfig, seed: int) -> Any:
    """A fresh agent for a run; the LM policy takes the run's policy config."""
    cls = get_agent(name)
    if cls is LMPolicy:
        return LMPolicy(vocabulary, policy_config, seed=seed)
    return construct(cls, name, "agent", "cls(vocabulary, seed=seed)", list(vocabulary), seed=seed)


def agent_spec(agent: Any, name: str) -> dict[str, Any]:
    """What rebuilds the agent: its own ``spec()`` if it has one, else its class."""
    spec = getattr(agent, "spec", None)
    return spec() if callable(spec) else {"class": name}
