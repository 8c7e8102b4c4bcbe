"""gym.make_vec on the household world: Gymnasium's vector API over HouseholdBatch, episode for episode
what HouseholdEnv does."""

import random

import gymnasium as gym
import numpy as np
import pytest

import clsim.envs  # noqa: F401  (registers the worlds and their vector entry points)
from clsim.envs import get_family
from clsim.envs.household.env import HouseholdEnv
from clsim.envs.household.vector import HouseholdVectorEnv


def kitchen_tasks(count: int = 2) -> list:
    family = get_family("household")
    return [t for b in family.behaviors if family.allowed(b, "kitchen")
            for t in family.make_tasks(b, "kitchen", "train", count, 9)]


def row(batched: dict, i: int) -> dict:
    """Env i's entries of a batched info dict (keys it has, by the ``_key`` masks; nested dicts, such as an ended
    episode's skills, batched the same way)."""
    return {k: row(v, i) if isinstance(v, dict) else (v[i].tolist() if isinstance(v[i], np.ndarray) else v[i])
            for k, v in batched.items()
            if not k.startswith("_") and k not in ("final_obs", "final_info") and batched[f"_{k}"][i]}


def single(info: dict) -> dict:
    return {k: single(v) if isinstance(v, dict) else (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in info.items()}


def test_make_vec_builds_the_household_vector_env_and_it_steps_as_householdenv_does():
    envs = gym.make_vec("clsim/Household-v0", num_envs=3, max_steps=25, max_fails=3)
    assert isinstance(envs, HouseholdVectorEnv) and envs.metadata["autoreset_mode"].value == "SameStep"
    observations, infos = envs.reset(seed=0, options={"tasks": kitchen_tasks()})
    assert envs.observation_space.contains(observations)
    singles = [HouseholdEnv(max_steps=25, max_fails=3) for _ in range(3)]
    expected = [env.reset(options={"task": e.task}) for env, e in zip(singles, envs.batch.episodes)]
    rng, ended = random.Random(0), 0
    for _ in range(120):
        for i, (obs, info) in enumerate(expected):
            assert {k: observations[k][i] for k in observations} == obs
            assert row(infos, i) == single(info)
        actions = np.array([rng.randrange(len(c) + 2) for c in observations["candidates"]])  # some past the end
        observations, rewards, terminated, truncated, infos = envs.step(actions)
        assert rewards.dtype == np.float64 and terminated.shape == truncated.shape == (3,)
        for i, env in enumerate(singles):
            obs, reward, term, trunc, info = env.step(int(actions[i]))
            assert (rewards[i], terminated[i], truncated[i]) == pytest.approx((reward, term, trunc))
            if term or trunc:
                ended += 1
                assert infos["_final_obs"][i] and infos["final_obs"][i] == obs
                assert row(infos["final_info"], i) == single(info)
                obs, info = env.reset(options={"task": envs.batch.episodes[i].task})
            else:
                assert "_final_obs" not in infos or not infos["_final_obs"][i]
            expected[i] = (obs, info)
    assert ended > 10


def test_without_tasks_a_reset_plans_a_seeded_pool_and_the_high_level_world_vectorises_too():
    first = gym.make_vec("clsim/Household-v0", num_envs=2, task_pool=5)
    again = gym.make_vec("clsim/Household-v0", num_envs=2, task_pool=5)
    (a, _), (b, _) = first.reset(seed=3), again.reset(seed=3)
    assert a == b and len(first.batch.tasks) == 5
    first.reset(seed=4)
    assert first.batch.tasks != again.batch.tasks
    high = gym.make_vec("clsim/HouseholdHL-v0", num_envs=2, task_pool=3)
    observations, infos = high.reset(seed=0)
    assert high.batch.action_level == "high" and all(c[-1] == "stop" for c in observations["candidates"])
    assert all(a in c for a, c in zip(infos["expert_action"], observations["candidates"]))


def test_bad_vector_settings_name_the_value():
    for kwargs, message in (({"num_envs": 0}, "num_envs and task_pool must be >= 1, got 0 and 64"),
                            ({"task_pool": 0}, "got 1 and 0"),
                            ({"render_mode": "human"}, "render_mode must be None for the vector env, got 'human'"),
                            ({"action_level": "mid"}, "action_level must be one of low, high, got 'mid'")):
        with pytest.raises(ValueError, match=message):
            HouseholdVectorEnv(**kwargs)
