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


WORLDS = ("clsim/Household-v0", "clsim/HouseholdHL-v0", "clsim/Navigation-v0")


@pytest.mark.parametrize("env_id", WORLDS)
def test_every_world_takes_the_same_action_forms_and_refuses_the_same_others(env_id):
    env = gym.make(env_id).unwrapped
    observation, _ = env.reset(seed=0)
    for action in (1, np.int64(1), np.array(1), observation["candidates"][1], -1, 99, "no such action"):
        env.reset(seed=0)
        observation, _, _, _, info = env.step(action)  # out of range and unknown text fail in-world, with feedback
        assert env.observation_space.contains(observation) and "success" in info
    for action in (None, 1.0, True, np.array([1, 2]), [1]):
        env.reset(seed=0)
        with pytest.raises(TypeError, match="an action is an integer index into observation\\['candidates'\\] or"):
            env.step(action)


@pytest.mark.slow
@pytest.mark.parametrize("env_id", WORLDS)
def test_a_hundred_thousand_random_and_out_of_range_actions(env_id):
    env = gym.make(env_id)
    rng = np.random.default_rng(1)
    observation, _ = env.reset(seed=1)
    for t in range(100_000):
        count = len(observation["candidates"])
        action = int(rng.integers(-3, count + 3)) if t % 5 == 0 else int(rng.integers(count))
        observation, reward, terminated, truncated, _ = env.step(action)
        assert env.observation_space.contains(observation) and np.isfinite(reward)
        if terminated or truncated:
            observation, _ = env.reset(seed=t)
