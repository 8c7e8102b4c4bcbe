"""Run directories: config.json, metrics.jsonl, summary.json, checkpoints/, plots/.

Every file is written atomically (a temporary file in the same directory, fsync, rename),
so a killed run never leaves a half-written file, and a directory that already holds a
run is never overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import torch
from safetensors.torch import save as save_tensors

from ..files import TEMP_SUFFIX, atomic_write_bytes, atomic_write_json

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one writer per directory is then the user's care
    fcntl = None  # type: ignore[assignment]

RUN_FILES = ("config.json", "metrics.jsonl", "summary.json")
LOCK = ".lock"


class RunDirectoryError(ValueError):
    """A run directory that cannot be used (exists with results, not writable, …)."""


def write_weights(path: Path, tensors: dict[str, torch.Tensor]) -> Path:
    """A state dict as safetensors, atomically."""
    atomic_write_bytes(path, save_tensors({k: v.detach().contiguous() for k, v in tensors.items()}))
    return path


def read_records(path: Path) -> list[dict[str, Any]]:
    """The eval records of a metrics.jsonl."""
    return [json.loads(line) for line in path.read_text().splitlines()]


class RunDirectory:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.records: list[dict[str, Any]] = []
        self._lock: IO[str] | None = None

    def lock(self) -> None:
        """Hold the directory's lock until `release` (or the process ends): one writer per run directory."""
        handle = open(self.path / LOCK, "a")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise RunDirectoryError(f"another clsim process is writing {self.path}; wait for it to end") from None
        self._lock = handle

    def __enter__(self) -> RunDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file drops the lock
            self._lock = None

    def remove_temporaries(self) -> None:
        """Delete the temporary files of atomic writes that a killed process left behind."""
        for folder in (self.path, self.path / "checkpoints", self.path / "plots"):
            for leftover in folder.glob(f".*{TEMP_SUFFIX}") if folder.is_dir() else ():
                leftover.unlink(missing_ok=True)

    @staticmethod
    def check_new(path: Path) -> None:
        """Raise if `path` cannot become a new run directory (checked before any long work)."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise RunDirectoryError(f"output path {path} exists and is not a directory")
        existing = [f for f in RUN_FILES if (path / f).exists()]
        if "config.json" in existing and "summary.json" not in existing:
            raise RunDirectoryError(f"{path} holds an unfinished run; continue it with: clsim train --resume {path} "
                                    "(or choose another --out)")
        if existing:
            raise RunDirectoryError(f"{path} already holds a run ({', '.join(existing)}); "
                                    f"choose another --out so earlier results stay intact")

    @classmethod
    def create(cls, path: Path, config: dict[str, Any]) -> RunDirectory:
        """A new run directory; refuses one that already holds a run's files."""
        path = Path(path)
        cls.check_new(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            run = cls(path)
            run.lock()
            atomic_write_json(path / "config.json", config)
        except OSError as error:
            raise RunDirectoryError(f"cannot write to {path}: {error.strerror or error}") from error
        return run

    @staticmethod
    def read_config(path: Path) -> dict[str, Any]:
        """A run directory's config.json; refuses what is not a run."""
        path = Path(path)
        if not (path / "config.json").is_file():
            raise RunDirectoryError(f"{path} is not a clsim run directory (no config.json)")
        try:
            config = json.loads((path / "config.json").read_text())
        except (OSError, ValueError) as error:
            raise RunDirectoryError(f"cannot read the run in {path}: {error}") from error
        if not isinstance(config, dict):
            raise RunDirectoryError(f"{path}/config.json is not a clsim run configuration")
        return config

    @staticmethod
    def is_finished(path: Path) -> bool:
        return (Path(path) / "summary.json").exists()

    @classmethod
    def open(cls, path: Path) -> tuple[RunDirectory, dict[str, Any]]:
        """An unfinished run to resume, with its config.json; refuses foreign and finished ones."""
        path = Path(path)
        config = cls.read_config(path)
        if cls.is_finished(path):
            raise RunDirectoryError(f"{path} holds a finished run (summary.json); there is nothing to resume")
        try:
            records = read_records(path / "metrics.jsonl") if (path / "metrics.jsonl").exists() else []
        except (OSError, ValueError) as error:
            raise RunDirectoryError(f"cannot read the run in {path}: {error}") from error
        run = cls(path)
        run.lock()
        run.remove_temporaries()
        run.records = records
        return run, config

    @property
    def checkpoints(self) -> Path:
        (self.path / "checkpoints").mkdir(exist_ok=True)
        return self.path / "checkpoints"

    def append_metrics(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.records)
        atomic_write_bytes(self.path / "metrics.jsonl", text.encode())

    def write_summary(self, summary: dict[str, Any]) -> None:
        atomic_write_json(self.path / "summary.json", summary)

    def save_weights(self, name: str, tensors: dict[str, torch.Tensor]) -> Path:
        return write_weights(self.checkpoints / f"{name}.safetensors", tensors)

    @property
    def plots(self) -> Path:
        (self.path / "plots").mkdir(exist_ok=True)
        return self.path / "plots"


def unused_path(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`, … : the first that does not hold a run yet."""
    candidate, n = Path(path), 1
    while any((candidate / f).exists() for f in RUN_FILES):
        n += 1
        candidate = Path(f"{path}-{n}")
    return candidate
