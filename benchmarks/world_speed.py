"""Environment steps per second of clsim's worlds next to TextWorldExpress and BabyAI, in one run.

    pip install minigrid textworld-express   # the reference simulators (TextWorldExpress needs Java)
    python benchmarks/world_speed.py [--seconds 5]

Every env takes uniformly random admissible actions on one core, resetting when an episode ends,
through its own Python API (Gymnasium for ours and BabyAI). Writes benchmarks/results/world_speed.json
and prints the ratios household / TextWorldExpress and navigation / BabyAI. A reference simulator
that is not installed is reported as missing rather than guessed.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import torch
from results_table import report

Stepper = Callable[[random.Random], bool]  # takes one random step; True when the episode ended


def measure(make: Callable[[], Stepper], seconds: float) -> float:
    step, rng, steps = make(), random.Random(0), 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(rng)
        steps += 1
    return steps / (time.perf_counter() - start)


def gymnasium_stepper(env_id: str, candidates: bool, **kwargs) -> Callable[[], Stepper]:
    """Our worlds pick among ``observation["candidates"]``; minigrid samples its action space."""
    def make() -> Stepper:
        import gymnasium as gym

        import clsim.envs  # noqa: F401  (registers clsim/*-v0)

        env = gym.make(env_id, **kwargs).unwrapped
        state = {"obs": env.reset(seed=0)[0], "episodes": 0}

        def step(rng: random.Random) -> bool:
            n = len(state["obs"]["candidates"]) if candidates else env.action_space.n
            obs, _, terminated, truncated, _ = env.step(rng.randrange(n))
            if terminated or truncated:
                state["episodes"] += 1
                obs, _ = env.reset(seed=state["episodes"])
            state["obs"] = obs
            return terminated or truncated
        return step
    return make


def textworld_express_stepper() -> Stepper:
    from textworld_express import TextWorldExpressEnv

    env = TextWorldExpressEnv(envStepLimit=100)
    env.load(gameName="cookingworld", gameParams="numLocations=5,numIngredients=2,numDistractorItems=5")
    _, infos = env.reset(seed=0, gameFold="train", generateGoldPath=False)
    state = {"valid": infos["validActions"], "episodes": 0}

    def step(rng: random.Random) -> bool:
        _, _, done, infos = env.step(rng.choice(state["valid"]))
        if done:
            state["episodes"] += 1
            _, infos = env.reset(seed=state["episodes"], gameFold="train", generateGoldPath=False)
        state["valid"] = infos["validActions"]
        return done
    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    worlds: dict[str, Callable[[], Stepper]] = {
        "household (clsim/Household-v0)": gymnasium_stepper("clsim/Household-v0", True),
        "navigation (clsim/Navigation-v0)": gymnasium_stepper("clsim/Navigation-v0", True),
        "TextWorldExpress (cookingworld)": textworld_express_stepper,
        "BabyAI (BabyAI-GoToLocal-v0)": gymnasium_stepper("BabyAI-GoToLocal-v0", False),
    }
    results: dict[str, float | str] = {}
    for name, make in worlds.items():
        try:
            if name.startswith("BabyAI"):
                import minigrid  # noqa: F401  (registers BabyAI-*)
            results[name] = measure(make, args.seconds)
        except ImportError as error:
            results[name] = f"missing: pip install {error.name}"
    household, twx = results["household (clsim/Household-v0)"], results["TextWorldExpress (cookingworld)"]
    navigation, babyai = results["navigation (clsim/Navigation-v0)"], results["BabyAI (BabyAI-GoToLocal-v0)"]
    if isinstance(twx, float):
        results["ratio household / TextWorldExpress"] = household / twx
    if isinstance(babyai, float):
        results["ratio navigation / BabyAI"] = navigation / babyai
        results["ratio household / BabyAI"] = household / babyai

    report(f"environment steps/s, random admissible actions, one core ({args.seconds:.0f} s each)", results,
           "world_speed", "steps/s or ratio")

if __name__ == "__main__":
    main()
