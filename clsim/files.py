"""Atomic file writes and strict JSON: the one way clsim writes a file (streams, run directories, reports, plots).

A file is written to a temporary file in the same directory, fsynced and renamed over its target, so a
killed process never leaves a half-written file; it gets the mode a plainly created file would.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".tmp"  # atomic writes' temporary files: ".<name>.<random>.tmp" beside their target


def _file_mode() -> int:
    """The mode a plainly created file gets under the process's umask (mkstemp's own is 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), _file_mode())
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def strict_json(value: Any) -> Any:
    """`value` with NaN and infinities as None: JSON has no such numbers, and other readers (jq, browsers,
    pandas' strict mode) reject Python's ``NaN``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def atomic_write_json(path: Path, payload: Any) -> None:
    """`payload` as strict JSON (NaN written as null), atomically."""
    text = json.dumps(strict_json(payload), indent=2, sort_keys=True, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode())
