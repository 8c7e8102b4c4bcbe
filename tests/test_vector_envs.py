"""Every registered clsim world works with Gymnasium's vector API (batched reset and step)."""

import gymnasium as gym
import numpy as np
import pytest

import clsim.envs  # noqa: F401  (registers the worlds)


@pytest.mark.parametrize("env_id", ["clsim/Household-v0", "clsim/HouseholdHL-v0", "clsim/Navigation-v0"])
def test_worlds_step_together_in_a_vector_env(env_id):
    envs = gym.make_vec(env_id, num_envs=3, vectorization_mode="sync")
    observations, infos = envs.reset(seed=0)
    assert len(observations["candidates"]) == 3 and len(set(observations["instruction"])) > 1  # one task each
    for _ in range(5):
        actions = np.zeros(3, dtype=np.int64)  # the first candidate: a move in every world, never Stop
        assert all(mask[0] for mask in infos["action_mask"])
        assert not any(c[0] in ("Stop", "stop") for c in observations["candidates"])
        observations, rewards, terminated, truncated, infos = envs.step(actions)
        assert rewards.shape == (3,) and terminated.shape == (3,)
    envs.close()


@pytest.mark.parametrize("env_id, family", [("clsim/Household-v0", "household"),
                                            ("clsim/HouseholdHL-v0", "household-hl"),
                                            ("clsim/Navigation-v0", "navigation")])
def test_every_observation_of_random_play_is_in_the_declared_space(env_id, family):
    from clsim.envs import get_family

    env = gym.make(env_id)
    charset = set(env.observation_space["instruction"].character_set)
    assert set("".join(get_family(family).vocabulary())) <= charset, "the world's words fit its declared charset"
    rng = np.random.default_rng(0)
    observation, _ = env.reset(seed=0)
    for t in range(1500):
        assert env.observation_space.contains(observation), observation
        observation, _, terminated, truncated, _ = env.step(int(rng.integers(len(observation["candidates"]))))
        if terminated or truncated:
            observation, _ = env.reset(seed=t)
