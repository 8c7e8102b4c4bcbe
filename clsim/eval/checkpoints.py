"""Resumable checkpoints: the agent's weights in safetensors, the rest of the run's state in a torch file.

A checkpoint is the pair ``checkpoints/step-<samples>.safetensors`` + ``.pt`` (learner memory,
optimiser, RNG states, stream position, eval records so far), published by atomically rewriting
``checkpoints/latest.json``. A run killed at any moment leaves the previous checkpoint or the new
one, never half of each; older pairs are removed once the pointer has moved.

The ``.pt`` file is read with torch's weights-only unpickler: tensors, plain Python values and the
record dataclasses registered with :func:`clsim.records.checkpoint_record` (episodes, memory items),
nothing that
could run code, so a crafted run directory cannot execute anything on ``--resume``.
"""

from __future__ import annotations

import io
import json
import pickle
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors

from ..files import atomic_write_bytes, atomic_write_json
from ..records import checkpoint_records
from .rundir import RunDirectoryError, write_weights

POINTER = "latest.json"

@dataclass
class Checkpoint:
    samples: int  # stream samples consumed
    records: int  # eval records written by then
    elapsed: float  # seconds of learning and evaluation so far
    weights: dict[str, torch.Tensor]  # the agent's state_dict
    learner: dict[str, Any]  # the learner's state_dict without the agent's weights
    rng: dict[str, Any]  # python, numpy and torch RNG states (see rng_state)
    compute: dict[str, Any] = field(default_factory=dict)  # the run's compute meter so far (see eval.compute)


def rng_state() -> dict[str, Any]:
    """Python's, numpy's and torch's global RNG states, numpy's key as a tensor (no numpy objects to unpickle)."""
    name, key, position, has_gauss, gauss = np.random.get_state()
    return {"python": random.getstate(), "numpy": (name, torch.from_numpy(key.astype(np.int64)), position, has_gauss,
                                                   gauss), "torch": torch.get_rng_state()}


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    name, key, position, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.asarray(key, dtype=np.int64).astype(np.uint32), position, has_gauss, gauss))
    torch.set_rng_state(state["torch"])


def save_checkpoint(directory: Path, checkpoint: Checkpoint) -> None:
    """Write the pair for `checkpoint.samples`, then point latest.json at it, then drop older pairs."""
    stem = f"step-{checkpoint.samples}"
    write_weights(directory / f"{stem}.safetensors", checkpoint.weights)
    buffer = io.BytesIO()
    torch.save({"learner": checkpoint.learner, "rng": checkpoint.rng, "records": checkpoint.records,
                "elapsed": checkpoint.elapsed, "samples": checkpoint.samples, "compute": checkpoint.compute},
               buffer)
    atomic_write_bytes(directory / f"{stem}.pt", buffer.getvalue())
    atomic_write_json(directory / POINTER, {"samples": checkpoint.samples, "stem": stem})
    for old in directory.glob("step-*"):
        if old.name.split(".")[0] != stem:
            old.unlink(missing_ok=True)


def latest_samples(directory: Path) -> int:
    """Samples learned by the latest checkpoint in `directory` (0 if there is none yet)."""
    pointer = directory / POINTER
    try:
        return int(json.loads(pointer.read_text())["samples"]) if pointer.exists() else 0
    except (OSError, ValueError, KeyError) as error:
        raise RunDirectoryError(f"cannot read {pointer}: {error}") from error


def load_latest(directory: Path) -> Checkpoint | None:
    """The checkpoint latest.json points at, or None if there is none yet."""
    pointer = directory / POINTER
    if not pointer.exists():
        return None
    try:
        stem = json.loads(pointer.read_text())["stem"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunDirectoryError(f"cannot read {pointer}: {error!r}") from None
    weights, state = directory / f"{stem}.safetensors", directory / f"{stem}.pt"
    try:
        tensors = load_tensors(weights.read_bytes())
    except (OSError, SafetensorError) as error:
        raise RunDirectoryError(f"cannot read the checkpoint's weights {weights} (empty or damaged?): {error}") from None
    try:
        with torch.serialization.safe_globals(checkpoint_records()):
            rest = torch.load(state, weights_only=True)
    except pickle.UnpicklingError as error:
        raise RunDirectoryError(f"checkpoint {state} holds objects other than tensors, plain values and clsim's "
                                f"records, so it is not loaded: {str(error).splitlines()[-1]}") from None
    except (OSError, ValueError, RuntimeError, EOFError) as error:
        raise RunDirectoryError(f"cannot read the checkpoint's state {state} (empty or damaged?): "
                                f"{str(error) or type(error).__name__}") from None
    if not isinstance(rest, dict) or not {"samples", "records", "elapsed", "learner", "rng"} <= set(rest):
        raise RunDirectoryError(f"{state} is not a clsim checkpoint")
    return Checkpoint(samples=rest["samples"], records=rest["records"], elapsed=rest["elapsed"],
                      weights=tensors, learner=rest["learner"], rng=rest["rng"], compute=rest.get("compute", {}))
