"""Where a run's numbers came from: software versions, the code's git commit, the platform.

Stored in config.json beside the settings, so a result can be traced to the code that produced it; never
part of the settings (two runs of the same settings on different machines stay comparable).
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

import clsim


def git_commit(directory: Path) -> str | None:
    """The commit checked out at `directory` ("<sha>-dirty" with uncommitted changes), or None outside a
    git checkout or without git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=directory,
                                 capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if changed else sha


def provenance() -> dict[str, Any]:
    """clsim's version and commit (when run from a checkout), Python, torch and the platform."""
    package = Path(clsim.__file__).resolve().parent
    checkout = package.parent
    return {
        "clsim": clsim.__version__,
        "git_commit": git_commit(checkout) if (checkout / ".git").exists() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "executable": sys.executable,
    }
