"""Re-evaluating a finished run: its final weights on suites of any size, without touching its files.

Eval suites during a run are small to keep the run fast; a final number for a paper wants more
episodes. ``evaluate_run`` rebuilds the run's agent from config.json, loads
checkpoints/final.safetensors, and scores it on every segment's seen and unseen suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .agents import make_agent
from .agents.registry import load_weights
from .envs import get_family
from .eval.evaluator import evaluate
from .eval.rundir import RunDirectory, RunDirectoryError
from .eval.summary import SPLITS, score_keys
from .experiment import RunConfig
from .files import atomic_write_json


def evaluate_run(path: Path, episodes: int, max_steps: int | None = None, force: bool = False) -> dict[str, Any]:
    """Scores per segment and split, and their means, of the run's final weights; saved as eval-<episodes>.json,
    which must not exist yet unless `force`."""
    path = Path(path)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps} (leave it out to use the run's own)")
    if (path / f"eval-{episodes}.json").exists() and not force:
        raise RunDirectoryError(f"{path / f'eval-{episodes}.json'} exists; pass --force to replace it, or choose "
                                "another --episodes")
    weights = path / "checkpoints" / "final.safetensors"
    if not (path / "config.json").is_file() or not weights.is_file():
        raise RunDirectoryError(f"{path} is not a finished clsim run (needs config.json and "
                                "checkpoints/final.safetensors)")
    config = RunConfig.from_dict(RunDirectory.read_config(path))
    try:
        state = load_file(weights)
    except (OSError, ValueError, SafetensorError) as error:
        raise RunDirectoryError(f"cannot read the run's final weights {weights} (empty or damaged?): {error}") from None
    config.validate()
    family = get_family(config.world)
    agent = make_agent(config.agent, family.vocabulary(), config.policy_config, config.seed, config.agent_options)
    load_weights(agent, state, str(weights))
    stream = config.stream()
    steps = max_steps or config.max_steps
    with torch.no_grad():
        scores = evaluate(family, agent, stream.eval_suites(episodes), list(stream.segments), steps)
    result = {"run": str(path), "episodes_per_suite": episodes, "max_steps": steps, "segments": scores,
              "mean": {f"{split}/{k}": float(np.mean([scores[s][split][k] for s in stream.segments]))
                       for split in SPLITS for k in score_keys(scores)}}
    atomic_write_json(path / f"eval-{episodes}.json", result)
    return result
