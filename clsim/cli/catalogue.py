"""clsim list: the registered worlds, setups, learners and agents, plug-ins included."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..agents.registry import AGENTS, agent_names
from ..agents.registry import ENTRY_POINTS as AGENT_PLUGINS
from ..envs import family_names, get_family
from ..learners import learner_names, own_settings
from ..learners.registry import ENTRY_POINTS as LEARNER_PLUGINS
from ..learners.registry import LEARNERS
from ..plugins import plugin_entries
from ..streams import get_setup, setup_names
from .common import (
    console,
    fail,
)


def _summary_line(cls: type) -> str:
    """First line of a class's docstring, else of its module's."""
    doc = cls.__doc__ or sys.modules[cls.__module__].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _own_options(cls: type) -> str:
    """' Options: a, b.' for the settings a learner has beyond the shared ones, else ''."""
    own = own_settings(cls)
    return f" Options: {', '.join(own)}." if own else ""


def list_(what: Annotated[str, typer.Argument(help="worlds, setups, learners or agents")] = "all") -> None:
    """List the registered worlds, setups, learners and agents, installed plug-ins included."""
    learner_plugins = {name: f"plug-in ({ep})" for name, ep in plugin_entries(LEARNER_PLUGINS).items()}
    agent_plugins = {name: f"plug-in ({ep})" for name, ep in plugin_entries(AGENT_PLUGINS).items()}
    catalogue = {
        "worlds": {name: get_family(name).env_id for name in family_names()},
        "setups": {**{name: f"one segment per {get_setup(name).unit}"
                      + (", the first returning at the end" if get_setup(name).first_returns else "")
                      for name in setup_names()},
                   "FILE.yaml|json": "your own: segments as filters over task fields"},
        "learners": {**{name: _summary_line(LEARNERS[name]) + _own_options(LEARNERS[name]) for name in learner_names()},
                     **learner_plugins},
        "agents": {**{name: _summary_line(AGENTS[name]) for name in agent_names()}, **agent_plugins},
    }
    if what != "all" and what not in catalogue:
        fail(f"cannot list {what!r}; choose one of: all, {', '.join(catalogue)}")
    for group, entries in catalogue.items():
        if what in ("all", group):
            console.print(f"[bold]{group}[/]")
            for name, text in entries.items():
                console.print(f"  {name:16s} {text}")
