"""HouseholdBatch: many episodes stepped together play exactly as the Gymnasium env plays them."""

import random

import numpy as np
import pytest

from clsim.envs import get_family
from clsim.envs.household.batch import HouseholdBatch
from clsim.envs.household.env import MAX_CANDIDATES, HouseholdEnv
from clsim.envs.household.episode import TaskStarts


def task_pool(world: str, count: int = 2) -> list:
    family = get_family(world)
    return [t for b in family.behaviors for t in family.make_tasks(
        b, "kitchen" if family.allowed(b, "kitchen") else "bedroom", "train", count, 5)]


@pytest.mark.parametrize("world,level", [("household", "low"), ("household-hl", "high")])
def test_a_batch_steps_every_episode_exactly_as_the_gymnasium_env(world, level):
    tasks = task_pool(world)
    batch = HouseholdBatch(tasks, 3, action_level=level, max_steps=30, max_fails=4, seed=1)
    envs = [HouseholdEnv(action_level=level, max_steps=30, max_fails=4) for _ in range(3)]
    observations = [env.reset(options={"task": e.task})[0] for env, e in zip(envs, batch.episodes)]
    rng, ended = random.Random(0), 0
    for _ in range(150):
        assert batch.observations() == observations
        expected_masks = np.zeros((3, MAX_CANDIDATES), dtype=bool)
        for i, obs in enumerate(observations):
            expected_masks[i, : len(obs["candidates"])] = True
        assert (batch.action_masks() == expected_masks).all()
        assert batch.expert_actions([2, 0]) == [envs[2].episode.expert_action(), envs[0].episode.expert_action()]
        # mostly valid indices, some out of range, some action strings (valid or not)
        actions = [rng.choice([rng.randrange(len(o["candidates"])), 70, "MoveAhead", "PutObject fridge 1"])
                   for o in observations]
        result = batch.step(actions)
        for i, (env, action) in enumerate(zip(envs, actions)):
            obs, reward, terminated, truncated, info = env.step(action)
            assert (result.rewards[i], result.terminated[i], result.truncated[i], result.success[i]) == \
                pytest.approx((reward, terminated, truncated, info["success"]))
            if terminated or truncated:
                ended += 1
                obs, _ = env.reset(options={"task": batch.episodes[i].task})
            observations[i] = obs
    assert ended == batch.finished > 10  # episodes ended and were replaced in step with the env


def test_tasks_come_in_a_fresh_seeded_permutation_every_pass():
    tasks = task_pool("household", 1)

    def played(seed: int, passes: int = 2) -> list[str]:
        batch = HouseholdBatch(tasks, 1, seed=seed)
        ids = [batch.episodes[0].task.id]
        for _ in range(passes * len(tasks) - 1):
            batch.step([batch.episodes[0].candidates.index("Stop")])
            ids.append(batch.episodes[0].task.id)
        return ids

    first = played(0)
    everything = sorted(t.id for t in tasks)
    assert sorted(first[: len(tasks)]) == everything and sorted(first[len(tasks):]) == everything
    assert first[: len(tasks)] != first[len(tasks):]  # each pass is shuffled anew
    assert played(0) == first and played(1) != first
    batch = HouseholdBatch(tasks, 2, seed=0)
    batch.reset(seed=0)
    assert [e.task.id for e in batch.episodes] == first[:2]


def test_a_batch_rejects_bad_input_with_the_value_and_what_is_allowed():
    tasks = task_pool("household", 1)
    navigation = get_family("navigation")
    nav_task = navigation.make_tasks(navigation.behaviors[0], navigation.environments[0], "train", 1, 0)
    for kwargs, message in (
        ({"tasks": [], "num_envs": 2}, "tasks is empty"),
        ({"tasks": tasks, "num_envs": 0}, "num_envs must be >= 1, got 0"),
        ({"tasks": tasks, "num_envs": 1, "action_level": "mid"}, "action_level must be one of low, high, got 'mid'"),
        ({"tasks": nav_task, "num_envs": 1}, "tasks of world 'navigation'; allowed: household, household-hl"),
    ):
        with pytest.raises(ValueError, match=message):
            HouseholdBatch(**kwargs)
    with pytest.raises(ValueError, match="starts were made at action level 'high', the batch plays at 'low'"):
        HouseholdBatch(tasks, 1, starts=TaskStarts("high"))
    batch = HouseholdBatch(tasks, 2)
    with pytest.raises(ValueError, match="one action per episode slot: got 3 for 2"):
        batch.step([0, 0, 0])
    with pytest.raises(ValueError, match=r"slots \[2\] out of range 0..1"):
        batch.observations([2])


def test_the_evaluators_batched_path_gives_the_env_paths_results(household):
    from clsim.agents import RandomAgent
    from clsim.agents.grounded import GroundedPolicy, GroundedPolicyConfig
    from clsim.eval.rollout import _rollout_envs, rollout

    tasks = [t for b in ("pick_and_place_simple", "pick_heat_then_place_in_recep", "look_at_obj_in_light")
             for t in household.make_tasks(b, "kitchen" if b != "look_at_obj_in_light" else "bedroom", "seen", 3, 4)]
    policy = GroundedPolicy(household.vocabulary(), GroundedPolicyConfig(hidden=16, layers=1, heads=2,
                                                                         intermediate=32, word_dim=8), seed=3)
    for make in (lambda: policy, lambda: RandomAgent(seed=5)):
        batched = rollout(household, make(), tasks, max_steps=30)
        assert batched == _rollout_envs(household, make(), tasks, max_steps=30, greedy=True)
    assert {r.steps for r in batched} != {30}, "random play ends some episodes early (failures)"
