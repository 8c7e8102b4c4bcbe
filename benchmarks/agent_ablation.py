"""What each part of the default agent buys: one segment of fine-tuning per task type, as the default stream deals it.

    python benchmarks/agent_ablation.py [--world household|navigation] [--per-segment 80] [--tasks 30]
        [--variants lm,no-pointer,...] [--segments look_at_obj_in_light,...]

For every variant and every segment (an ALFRED task type; a navigation scene domain, instruction mode), a
fresh agent is fine-tuned online on `per-segment` expert demonstrations of it with the default learner
settings (stream batches of 4, 7 updates per batch), then scored on `tasks` held-out tasks in seen layouts:
per-step accuracy against the expert, and greedy success. Variants switch off one part of GroundedPolicy
(the pointer, candidates tied to lines, instruction match flags, where the instruction names a word) or use
the free-text agent `lm-text`. Prints a table and writes benchmarks/results/agent_ablation[-navigation].json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from clsim.agents.lm_policy import LMPolicyConfig
from clsim.agents.registry import make_agent
from clsim.envs import get_family
from clsim.envs.household.catalogue import TASK_SCENES, TASK_TYPES
from clsim.eval.episodes import score
from clsim.eval.rollout import rollout
from clsim.learners import LearnerConfig, get_learner

VARIANTS = {
    "lm": ("lm", {}),
    "no-pointer": ("lm", {"pointer": False}),
    "no-binding": ("lm", {"bind_candidates": False}),
    "no-match-flags": ("lm", {"match_flags": False}),
    "no-match-position": ("lm", {"match_position": 0}),
    "lm-text": ("lm-text", {}),
}


def tasks_of(family, segment: str, split: str, count: int, seed: int) -> list:
    """`count` tasks of one segment: a household task type spread over its scene types, or a navigation domain."""
    if family.name == "navigation":
        return family.make_tasks("instruction", segment, split, count, seed)
    scenes = TASK_SCENES[segment]
    return [t for i in range(count) for t in family.make_tasks(segment, scenes[i % len(scenes)], split, 1, seed + i)]


def one_segment(world: str, variant: str, behavior: str, per_segment: int, count: int) -> dict[str, float]:
    family = get_family(world)
    name, options = VARIANTS[variant]
    torch.manual_seed(0)
    agent = make_agent(name, family.vocabulary(), LMPolicyConfig(), 0, options)
    learner = get_learner("finetune")(agent, LearnerConfig(), seed=0)
    start = time.perf_counter()
    for task in tasks_of(family, behavior, "train", per_segment, 0):
        learner.observe([family.demonstrate(task).episode()])
    learner.flush()
    seconds = time.perf_counter() - start
    held_out = tasks_of(family, behavior, "seen", count, 5000)
    right = steps = 0
    with torch.no_grad():
        for task in held_out:
            episode = family.demonstrate(task).episode()
            chosen = agent.act(episode.observations())
            right += sum(a == b for a, b in zip(chosen, episode.actions()))
            steps += len(chosen)
    return {"step_accuracy": right / steps, "sr": score(rollout(family, agent, held_out, max_steps=60)).sr,
            "train_seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", choices=("household", "navigation"), default="household")
    parser.add_argument("--per-segment", type=int, default=80)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--segments", help="task types (household) or scene domains (navigation); default: all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    allowed = TASK_TYPES if args.world == "household" else get_family("navigation").environments
    variants, types = args.variants.split(","), (args.segments.split(",") if args.segments else list(allowed))
    unknown = sorted(set(variants) - set(VARIANTS)) + sorted(set(types) - set(allowed))
    if unknown:
        parser.error(f"unknown variant or segment {', '.join(unknown)}; variants: {', '.join(VARIANTS)}; "
                     f"segments: {', '.join(allowed)}")
    results = {v: {b: one_segment(args.world, v, b, args.per_segment, args.tasks) for b in types} for v in variants}
    unit = "task type" if args.world == "household" else "scene domain"
    table = Table(title=f"One segment of finetune per {unit} ({args.per_segment} demonstrations): "
                        "per-step accuracy / greedy SR on held-out seen tasks (%)")
    table.add_column(unit)
    for v in variants:
        table.add_column(v, justify="right")
    for b in [*types, "mean"]:
        cells = []
        for v in variants:
            rows = list(results[v].values()) if b == "mean" else [results[v][b]]
            acc = sum(r["step_accuracy"] for r in rows) / len(rows)
            sr = sum(r["sr"] for r in rows) / len(rows)
            cells.append(f"{100 * acc:.1f} / {100 * sr:.1f}")
        table.add_row(b, *cells)
    Console().print(table)
    out = Path(__file__).parent / "results" / f"agent_ablation{'' if args.world == 'household' else '-' + args.world}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"world": args.world, "per_segment": args.per_segment, "tasks": args.tasks,
                               "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
