"""Throughput of the pieces a run spends its time in: env steps, policy scoring, learner updates.

    python benchmarks/household_speed.py [--seconds 5]

Prints a table and writes benchmarks/results/household_speed.json. Every registered learner's
time per stream sample (its updates, look-aheads and memory work, plus the offline training of
`joint`) is reported as a ratio to fine-tuning the same model on the same episodes in the same run;
`ppo`'s sample is a task it practises (acting in the world and updating) instead of a demonstration.
"""

from __future__ import annotations

import argparse
import time

import torch
from results_table import report

from clsim.agents import LMPolicy
from clsim.envs import get_family
from clsim.envs.household.env import HouseholdEnv
from clsim.learners import LearnerConfig, get_learner, learner_names


def env_steps_per_second(seconds: float) -> float:
    env, steps, start = HouseholdEnv(max_steps=100), 0, time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    obs, _ = env.reset(seed=0)
    while time.perf_counter() - start < seconds:
        action = int(torch.randint(len(obs["candidates"]), (1,), generator=generator))
        obs, _, terminated, truncated, _ = env.step(action)
        steps += 1
        if terminated or truncated:
            obs, _ = env.reset(seed=steps)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    family = get_family("household")
    tasks = [t for b in family.behaviors for t in family.make_tasks(b, "kitchen" if family.allowed(b, "kitchen")
                                                                   else "bedroom", "train", 4, 0)]
    episodes = [family.demonstrate(t).episode() for t in tasks]
    observations = [o for e in episodes for o in e.observations()]
    results: dict[str, float] = {"env steps/s (random actions, expert advice on)": env_steps_per_second(args.seconds)}

    policy = LMPolicy(family.vocabulary(), seed=0)
    start = time.perf_counter()
    for i in range(0, len(observations), 64):
        policy.act(observations[i : i + 64])
    results["policy scored steps/s (batches of 64)"] = len(observations) / (time.perf_counter() - start)

    per_sample = {}
    names = ["finetune", *(n for n in learner_names("demonstrations") if n != "finetune"), *learner_names("reward")]
    for name in names:
        torch.manual_seed(0)
        learner = get_learner(name)(LMPolicy(family.vocabulary(), seed=0), LearnerConfig(online_iter=1.0), seed=0)
        samples = episodes if "demonstrations" in learner.supports else tasks  # reward learners act in the tasks
        learner.observe(samples[:8])  # warm up and fill memory
        start = time.perf_counter()
        learner.observe(samples[8:24])
        learner.flush()
        per_sample[name] = (time.perf_counter() - start) / 16
    for name, seconds in per_sample.items():
        results[f"{name}: seconds per sample"] = seconds
        results[f"{name}: ratio to finetune"] = seconds / per_sample["finetune"]

    report("household throughput (this machine)", results, "household_speed")

if __name__ == "__main__":
    main()
