"""Agent registry: the trainable agents a run can use, and plug-ins (``module:Class`` or ``clsim.agents``).

A plug-in agent is built as ``cls(vocabulary, seed=seed)``: the world's words and the run's seed.
Learners train it through ``scores`` (differentiable logits) and ``parameters()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..plugins import Registry, construct

ENTRY_POINTS = "clsim.agents"
PROTOCOL = {  # how runs call an agent; checked with signatures before anything is written
    "scores": "scores(observations)", "act": "act(observations, greedy=True)", "state_dict": "state_dict()",
    "load_state_dict": "load_state_dict(state)", "parameters": "parameters()", "train": "train()",
}
AGENTS: Registry[type] = Registry("agent", ENTRY_POINTS, PROTOCOL)  # @AGENTS.register("name") on the class


def agent_names() -> list[str]:
    return sorted(AGENTS)


def get_agent(name: str) -> type:
    return AGENTS.get_entry(name)


def agent_config(name: str, defaults: Any, options: Mapping[str, Any] | None = None) -> Any:
    """The config agent `name` is built from: its ``config_class`` with `options` on top of `defaults` where
    those are of that class (a run's stored policy config), else of the class's defaults; None for plug-ins
    that take no config. Building it checks the options (a ValueError names a bad one)."""
    cls, options = get_agent(name), dict(options or {})
    config_class = getattr(cls, "config_class", None)
    if config_class is None:
        if options:
            raise ValueError(f"agent {name!r} takes no options (it has no config_class); got {', '.join(options)}")
        return None
    # Built from the options directly, not by replacing a default instance: a default may be one the options
    # exist to replace (a pretrained agent's model directory, checked when its config is built).
    return replace(defaults, **options) if type(defaults) is config_class else config_class(**options)


def make_agent(name: str, vocabulary: Sequence[str], defaults: Any, seed: int,
               options: Mapping[str, Any] | None = None) -> Any:
    """A fresh agent for a run, built from its `agent_config`."""
    cls, config = get_agent(name), agent_config(name, defaults, options)
    if config is not None:
        return construct(cls, name, "agent", "cls(vocabulary, config, seed=seed)", list(vocabulary), config,
                         seed=seed)
    return construct(cls, name, "agent", "cls(vocabulary, seed=seed)", list(vocabulary), seed=seed)


def agent_config_class(name: str) -> type:
    """The dataclass that `--agent-option KEY=VALUE` settings of agent `name` fill."""
    config_class = getattr(get_agent(name), "config_class", None)
    if config_class is None:
        raise ValueError(f"agent {name!r} takes no options (it has no config_class)")
    return config_class


def agent_spec(agent: Any, name: str) -> dict[str, Any]:
    """What rebuilds the agent: its own ``spec()`` if it has one, else its class."""
    spec = getattr(agent, "spec", None)
    return spec() if callable(spec) else {"class": name}


def load_weights(agent: Any, state: Mapping[str, Any], source: str) -> None:
    """Load `state` into `agent`, or a ValueError naming `source` when the weights do not fit the agent that this
    version of clsim builds from the run's config (another architecture, or another version's)."""
    try:
        agent.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as error:
        first = " ".join(str(error).split())[:240] or type(error).__name__
        raise ValueError(f"the weights in {source} do not fit the agent this clsim builds from the run's config "
                         f"({first}); they were written by another version or another architecture") from None
