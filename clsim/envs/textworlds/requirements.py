"""What the text-game suites need beyond clsim: their Python package (the ``textworlds`` extra) and, for the
Java-based ones, a Java runtime; one clear error naming what is missing and the command that fixes it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

EXTRA_HINT = "pip install 'clsim[textworlds]'"
JAVA_HINT = "install a Java runtime (17 or later), e.g. apt-get install openjdk-17-jre-headless"


class MissingRequirement(ValueError):
    """A world's package or runtime is not installed (a ValueError: the run's settings ask for what is not here)."""


def java_version() -> str | None:
    """The first line of ``java -version`` (e.g. 'openjdk version "17.0.15"'), or None without a Java runtime."""
    java = shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line for line in (done.stderr or done.stdout).strip().splitlines()
             if not line.startswith("Picked up ")]  # the JVM's echo of JAVA_TOOL_OPTIONS comes first
    return lines[0] if done.returncode == 0 and lines else None


def require(world: str, module: str, package: str, java: bool) -> None:
    """Raise `MissingRequirement` unless `module` imports (and, if `java`, a Java runtime runs)."""
    if importlib.util.find_spec(module) is None:
        raise MissingRequirement(f"world {world!r} needs the package {package}: {EXTRA_HINT}")
    if java and java_version() is None:
        raise MissingRequirement(f"world {world!r} runs {package} on Java, and no Java runtime was found: "
                                 f"{JAVA_HINT}")
