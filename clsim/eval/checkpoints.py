"""Resumable checkpoints: the agent's weights in safetensors, the rest of the run's state in a torch file.

A checkpoint is the pair ``checkpoints/step-<samples>.safetensors`` + ``.pt`` (learner memory,
optimiser, RNG states, stream position, eval records so far), published by atomically rewriting
``checkpoints/latest.json``. A run killed at any moment leaves the previous checkpoint or the new
one, never half of each; older pairs are removed once the pointer has moved.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as load_tensors

from .rundir import RunDirectoryError, atomic_write_bytes, atomic_write_json, write_weights

POINTER = "latest.json"


@dataclass
class Checkpoint:
    samples: int  # stream samples consumed
    records: int  # eval records written by then
    elapsed: float  # seconds of learning and evaluation so far
    weights: dict[str, torch.Tensor]  # the agent's state_dict
    learner: dict[str, Any]  # the learner's state_dict without the agent's weights
    rng: dict[str, Any]  # python, numpy and torch RNG states (see rng_state)


def rng_state() -> dict[str, Any]:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])


def save_checkpoint(directory: Path, checkpoint: Checkpoint) -> None:
    """Write the pair for `checkpoint.samples`, then point latest.json at it, then drop older pairs."""
    stem = f"step-{checkpoint.samples}"
    write_weights(directory / f"{stem}.safetensors", checkpoint.weights)
    buffer = io.BytesIO()
    torch.save({"learner": checkpoint.learner, "rng": checkpoint.rng, "records": checkpoint.records,
                "elapsed": checkpoint.elapsed, "samples": checkpoint.samples}, buffer)
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
        weights = load_tensors((directory / f"{stem}.safetensors").read_bytes())
        rest = torch.load(directory / f"{stem}.pt", weights_only=False)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise RunDirectoryError(f"cannot read the checkpoint in {directory}: {error}") from error
    return Checkpoint(samples=rest["samples"], records=rest["records"], elapsed=rest["elapsed"],
                      weights=weights, learner=rest["learner"], rng=rest["rng"])
