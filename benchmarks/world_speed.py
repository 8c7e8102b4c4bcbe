"""Environment steps per second of clsim's worlds next to TextWorldExpress and BabyAI, in one run.

    pip install minigrid textworld-express   # the reference simulators (TextWorldExpress needs Java)
    python benchmarks/world_speed.py [--seconds 5]

Every env takes uniformly random admissible actions on one core, resetting when an episode ends,
through its own Python API (Gymnasium for ours and BabyAI). clsim's TextWorldExpress adapter
(``clsim/TextWorldExpress-v0``) and the raw package play the same 16 large cookingworld games, 60
actions an episode, and the adapter's overhead is their time per step's ratio; likewise the ScienceWorld
adapter against ScienceWorld's own API on 8 classification tasks, and the TextWorld adapter against
``textworld.start`` on 8 simple games. ``clsim/Household-v0`` plans a new
solvable task at every random reset and the expert's advice at every step; the household world is
also measured replaying a fixed pool of tasks (as a stream does), through the Gymnasium env with
and without expert advice, and through :class:`clsim.envs.household.batch.HouseholdBatch`, which
renders text only when asked: one episode, one episode whose text is read every step, and 256
episodes stepped together; and through ``gym.make_vec`` (the batch behind Gymnasium's vector
API, with every env's text, info and expert advice at every step). Writes
benchmarks/results/world_speed.json and prints each household measure's ratio to
TextWorldExpress, and navigation / BabyAI. A reference simulator that is not installed is
reported as missing rather than guessed.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import torch
from results_table import report

Stepper = Callable[[random.Random], int]  # takes one random step of every env it drives; returns how many
BATCH = 256  # household episodes stepped together


def measure(make: Callable[[], Stepper], seconds: float) -> float:
    step, rng, steps = make(), random.Random(0), 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps += step(rng)
    return steps / (time.perf_counter() - start)


def household_task_pool() -> list:
    """8 training tasks per allowed (task type, scene type): what the pooled household measures replay."""
    from clsim.envs import get_family

    family = get_family("household")
    return [t for b in family.behaviors for e in family.environments if family.allowed(b, e)
            for t in family.make_tasks(b, e, "train", 8, 0)]


def gymnasium_stepper(env_id: str, candidates: bool, pool: bool = False, **kwargs) -> Callable[[], Stepper]:
    """Our worlds pick among ``observation["candidates"]``; minigrid samples its action space. With `pool`, every
    reset replays the next task of :func:`household_task_pool` instead of drawing a new one from the seed."""
    def make() -> Stepper:
        import gymnasium as gym

        import clsim.envs  # noqa: F401  (registers clsim/*-v0)

        env = gym.make(env_id, **kwargs).unwrapped
        tasks = household_task_pool() if pool else None

        def reset(episode: int):
            if tasks is None:
                return env.reset(seed=episode)[0]
            return env.reset(options={"task": tasks[episode % len(tasks)]})[0]

        state = {"obs": reset(0), "episodes": 0}

        def step(rng: random.Random) -> int:
            n = len(state["obs"]["candidates"]) if candidates else env.action_space.n
            obs, _, terminated, truncated, _ = env.step(rng.randrange(n))
            if terminated or truncated:
                state["episodes"] += 1
                obs = reset(state["episodes"])
            state["obs"] = obs
            return 1
        return step
    return make


def household_vector_stepper(num_envs: int) -> Callable[[], Stepper]:
    """``gym.make_vec("clsim/Household-v0")``: text, infos and expert advice for every env at every step."""
    def make() -> Stepper:
        import gymnasium as gym

        import clsim.envs  # noqa: F401  (registers clsim/*-v0)

        envs = gym.make_vec("clsim/Household-v0", num_envs=num_envs)
        observations, _ = envs.reset(seed=0, options={"tasks": household_task_pool()})

        def step(rng: random.Random) -> int:
            nonlocal observations
            actions = [rng.randrange(len(candidates)) for candidates in observations["candidates"]]
            observations = envs.step(actions)[0]
            return num_envs
        return step
    return make


def household_batch_stepper(num_envs: int, read_text: bool = False) -> Callable[[], Stepper]:
    """Random candidate indices for `num_envs` episodes over :func:`household_task_pool` (made before the clock
    starts); with `read_text`, every step's text is rendered."""
    def make() -> Stepper:
        from clsim.envs.household.batch import HouseholdBatch

        batch = HouseholdBatch(household_task_pool(), num_envs, seed=0)

        def step(rng: random.Random) -> int:
            batch.step([rng.randrange(len(episode.candidates)) for episode in batch.episodes])
            if read_text:
                batch.observations()
            return num_envs
        return step
    return make


ADAPTED_GAME = ("cookingworld", "large")  # the TextWorldExpress game (and clsim size) both sides play
ADAPTED_EPISODE = 60  # actions per episode on both sides (clsim's evaluation limit)


def twx_tasks() -> list:
    from clsim.envs import get_family

    return get_family("twx").make_tasks(*ADAPTED_GAME, "train", 16, 0)


def textworld_express_stepper() -> Stepper:
    """The household measures' reference: cookingworld with 5 rooms, a new game per episode of up to 100 actions."""
    from textworld_express import TextWorldExpressEnv

    env = TextWorldExpressEnv(envStepLimit=100)
    env.load(gameName="cookingworld", gameParams="numLocations=5,numIngredients=2,numDistractorItems=5")
    _, infos = env.reset(seed=0, gameFold="train", generateGoldPath=False)
    state = {"valid": infos["validActions"], "episodes": 0}

    def step(rng: random.Random) -> int:
        _, _, done, infos = env.step(rng.choice(state["valid"]))
        if done:
            state["episodes"] += 1
            _, infos = env.reset(seed=state["episodes"], gameFold="train", generateGoldPath=False)
        state["valid"] = infos["validActions"]
        return 1
    return step


def textworld_express_same_games_stepper(gold: bool) -> Callable[[], Stepper]:
    """The raw package on the games the adapter plays: random valid actions, a new game of the pool per episode;
    with `gold`, each reset generates the suite's gold path, as the adapter's expert needs."""
    def make() -> Stepper:
        from textworld_express import TextWorldExpressEnv

        from clsim.envs.textworlds.twx import SIZES

        seeds = [t.goal["seed"] for t in twx_tasks()]
        env = TextWorldExpressEnv(envStepLimit=ADAPTED_EPISODE - 1)
        env.load(ADAPTED_GAME[0], SIZES[ADAPTED_GAME[1]][ADAPTED_GAME[0]])
        _, infos = env.reset(seed=seeds[0], gameFold="train", generateGoldPath=gold)
        state = {"valid": infos["validActions"], "episodes": 0}

        def step(rng: random.Random) -> int:
            _, _, done, infos = env.step(rng.choice(state["valid"]))
            if done:
                state["episodes"] += 1
                _, infos = env.reset(seed=seeds[state["episodes"] % len(seeds)], gameFold="train",
                                     generateGoldPath=gold)
            state["valid"] = infos["validActions"]
            return 1
        return step
    return make


def twx_adapter_stepper(expert_advice: bool) -> Callable[[], Stepper]:
    """clsim's adapter on the same games: clsim's text, sorted candidates and, with `expert_advice`, the seeded
    gold path at every reset."""
    def make() -> Stepper:
        from clsim.envs.textworlds.twx import TextWorldExpressEnv

        return adapter_stepper(TextWorldExpressEnv(max_steps=ADAPTED_EPISODE, expert_advice=expert_advice),
                               twx_tasks())
    return make


def scienceworld_tasks() -> list:
    from clsim.envs import get_family

    return get_family("scienceworld").make_tasks("classification", "easy", "train", 8, 0)


def playable(valid) -> list[str]:
    """ScienceWorld's valid actions without "focus on" ones (a wrong focus ends the task at once), so both sides
    play full 60-action episodes and load tasks equally often."""
    return sorted(a for a in valid if not a.startswith("focus on"))


def scienceworld_raw_stepper(gold: bool) -> Callable[[], Stepper]:
    """ScienceWorld's own API on the adapter's tasks: random valid actions (:func:`playable`), the next task after
    60 actions or the end; with `gold`, each load generates the gold path, as the adapter's expert needs."""
    def make() -> Stepper:
        from scienceworld import ScienceWorldEnv

        tasks, env = scienceworld_tasks(), ScienceWorldEnv("", envStepLimit=10**9)

        def start(episode: int) -> list[str]:
            task = tasks[episode % len(tasks)]
            env.load(task.goal["task"], task.goal["variation"], "easy", generateGoldPath=gold)
            return env.reset()[1]["valid"]

        state = {"valid": start(0), "episodes": 0, "steps": 0}

        def step(rng: random.Random) -> int:
            _, _, done, infos = env.step(rng.choice(playable(state["valid"])))
            state["valid"], state["steps"] = infos["valid"], state["steps"] + 1
            if done or state["steps"] >= ADAPTED_EPISODE:
                state["episodes"], state["steps"] = state["episodes"] + 1, 0
                state["valid"] = start(state["episodes"])
            return 1
        return step
    return make


def scienceworld_adapter_stepper(expert_advice: bool) -> Callable[[], Stepper]:
    """The adapter playing the same way: a random :func:`playable` action, given as text."""
    def make() -> Stepper:
        from clsim.envs.textworlds.scienceworld import ScienceWorldEnv

        tasks, env = scienceworld_tasks(), ScienceWorldEnv(max_steps=ADAPTED_EPISODE, expert_advice=expert_advice)
        env.reset(options={"task": tasks[0]})
        state = {"episodes": 0}

        def step(rng: random.Random) -> int:
            _, _, terminated, truncated, _ = env.step(rng.choice(playable(env.valid)))
            if terminated or truncated:
                state["episodes"] += 1
                env.reset(options={"task": tasks[state["episodes"] % len(tasks)]})
            return 1
        return step
    return make


def textworld_tasks() -> list:
    from clsim.envs import get_family

    return get_family("textworld").make_tasks("simple", "easy", "train", 8, 0)


def textworld_raw_stepper(policy: bool) -> Callable[[], Stepper]:
    """TextWorld's own API on the adapter's games (generated into clsim's cache before the clock starts), asked
    for the same state the adapter shows (description, inventory, objective, score): random admissible commands,
    the next game after 60 commands or the end; with `policy`, the walkthrough from every state, as the adapter's
    expert needs."""
    def make() -> Stepper:
        import textworld

        from clsim.envs.textworlds.tw import game_file

        paths = [game_file(t.behavior, t.environment, t.split, t.goal["seed"]) for t in textworld_tasks()]
        infos = textworld.EnvInfos(admissible_commands=True, policy_commands=policy, description=True, inventory=True,
                                   objective=True, score=True, max_score=True, won=True, lost=True)
        state: dict = {"episodes": 0, "steps": 0}

        def start(episode: int) -> None:
            if "env" in state:
                state["env"].close()
            state["env"] = textworld.start(str(paths[episode % len(paths)]), request_infos=infos)
            state["valid"] = state["env"].reset().admissible_commands

        start(0)

        def step(rng: random.Random) -> int:
            game, _, done = state["env"].step(rng.choice(state["valid"]))
            state["valid"], state["steps"] = game.admissible_commands, state["steps"] + 1
            if done or state["steps"] >= ADAPTED_EPISODE:
                state["episodes"], state["steps"] = state["episodes"] + 1, 0
                start(state["episodes"])
            return 1
        return step
    return make


def textworld_adapter_stepper(expert_advice: bool) -> Callable[[], Stepper]:
    def make() -> Stepper:
        from clsim.envs.textworlds.tw import TextWorldEnv

        return adapter_stepper(TextWorldEnv(max_steps=ADAPTED_EPISODE, expert_advice=expert_advice),
                               textworld_tasks())
    return make


def adapter_stepper(env, tasks: list) -> Stepper:
    """A clsim adapter env playing `tasks` in turn with random candidates."""
    state = {"obs": env.reset(options={"task": tasks[0]})[0], "episodes": 0}

    def step(rng: random.Random) -> int:
        obs, _, terminated, truncated, _ = env.step(rng.randrange(len(state["obs"]["candidates"])))
        if terminated or truncated:
            state["episodes"] += 1
            obs = env.reset(options={"task": tasks[state["episodes"] % len(tasks)]})[0]
        state["obs"] = obs
        return 1
    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    household = "household (clsim/Household-v0)"
    worlds: dict[str, Callable[[], Stepper]] = {
        household: gymnasium_stepper("clsim/Household-v0", True),
        "household env, task pool": gymnasium_stepper("clsim/Household-v0", True, pool=True),
        "household env, task pool, expert_advice=False": gymnasium_stepper(
            "clsim/Household-v0", True, pool=True, expert_advice=False),
        "household batch, 1 episode": household_batch_stepper(1),
        "household batch, 1 episode, text read every step": household_batch_stepper(1, read_text=True),
        f"household batch, {BATCH} episodes": household_batch_stepper(BATCH),
        "household gym.make_vec, 16 envs": household_vector_stepper(16),
        "navigation (clsim/Navigation-v0)": gymnasium_stepper("clsim/Navigation-v0", True),
        "TextWorldExpress (cookingworld)": textworld_express_stepper,
        "TextWorldExpress (the adapter's games)": textworld_express_same_games_stepper(gold=False),
        "twx adapter, expert_advice=False": twx_adapter_stepper(expert_advice=False),
        "TextWorldExpress (the adapter's games), gold paths": textworld_express_same_games_stepper(gold=True),
        "twx adapter (clsim/TextWorldExpress-v0, cookingworld)": twx_adapter_stepper(expert_advice=True),
        "BabyAI (BabyAI-GoToLocal-v0)": gymnasium_stepper("BabyAI-GoToLocal-v0", False),
        "ScienceWorld (the adapter's tasks)": scienceworld_raw_stepper(gold=False),
        "scienceworld adapter, expert_advice=False": scienceworld_adapter_stepper(expert_advice=False),
        "ScienceWorld (the adapter's tasks), gold paths": scienceworld_raw_stepper(gold=True),
        "scienceworld adapter (clsim/ScienceWorld-v0)": scienceworld_adapter_stepper(expert_advice=True),
        "TextWorld (the adapter's games)": textworld_raw_stepper(policy=False),
        "textworld adapter, expert_advice=False": textworld_adapter_stepper(expert_advice=False),
        "TextWorld (the adapter's games), walkthrough": textworld_raw_stepper(policy=True),
        "textworld adapter (clsim/TextWorld-v0)": textworld_adapter_stepper(expert_advice=True),
    }
    results: dict[str, float | str] = {}
    for name, make in worlds.items():
        try:
            if name.startswith("BabyAI"):
                import minigrid  # noqa: F401  (registers BabyAI-*)
            results[name] = measure(make, args.seconds)
        except ImportError as error:
            results[name] = f"missing: pip install {error.name}"
    twx, babyai = results["TextWorldExpress (cookingworld)"], results["BabyAI (BabyAI-GoToLocal-v0)"]
    if isinstance(twx, float):
        for name in [n for n in worlds if n.startswith("household")]:
            results[f"ratio {name} / TextWorldExpress"] = results[name] / twx
    for raw, adapter, label in (
            ("TextWorldExpress (the adapter's games)", "twx adapter, expert_advice=False", "twx, without expert"),
            ("TextWorldExpress (the adapter's games), gold paths", "twx adapter (clsim/TextWorldExpress-v0, cookingworld)",
             "twx, with gold paths"),
            ("ScienceWorld (the adapter's tasks)", "scienceworld adapter, expert_advice=False",
             "scienceworld, without expert"),
            ("ScienceWorld (the adapter's tasks), gold paths", "scienceworld adapter (clsim/ScienceWorld-v0)",
             "scienceworld, with gold paths"),
            ("TextWorld (the adapter's games)", "textworld adapter, expert_advice=False", "textworld, without expert"),
            ("TextWorld (the adapter's games), walkthrough", "textworld adapter (clsim/TextWorld-v0)",
             "textworld, with walkthrough")):
        if isinstance(results[raw], float) and isinstance(results[adapter], float):
            results[f"adapter overhead {label}: time per step, adapter / raw"] = results[raw] / results[adapter]
    if isinstance(babyai, float):
        results["ratio navigation / BabyAI"] = results["navigation (clsim/Navigation-v0)"] / babyai
        results["ratio household / BabyAI"] = results[household] / babyai

    report(f"environment steps/s, random admissible actions, one core ({args.seconds:.0f} s each)", results,
           "world_speed", "steps/s or ratio")

if __name__ == "__main__":
    main()
