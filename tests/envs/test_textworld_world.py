"""TextWorld as a clsim world, with the real package: games are generated once into the cache, the walkthrough
expert solves every challenge and level on every split, streams are the same in every process, candidates hold
the expert's command, and no action raises."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from conftest import follow_expert, play_to_end
from gymnasium.utils.env_checker import check_env

from clsim.envs import get_family
from clsim.envs.textworlds.tw import CHALLENGES, SETTINGS, TextWorldEnv, game_file
from clsim.streams import get_setup

pytest.importorskip("textworld", reason="the textworlds extra is not installed")


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    """One game cache for the module (generating a game takes seconds), outside the user's home."""
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLSIM_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def textworld_family():
    return get_family("textworld")


@pytest.mark.parametrize("split", [pytest.param("train", marks=pytest.mark.slow),
                                   pytest.param("seen", marks=pytest.mark.slow), "unseen"])
def test_the_expert_solves_every_challenge_and_level_with_the_games_score(textworld_family, split):
    env = TextWorldEnv(max_steps=100)
    for environment in SETTINGS:
        for challenge in CHALLENGES:
            task = textworld_family.make_tasks(challenge, environment, split, 1, seed=7)[0]
            info, rewards = play_to_end(env, task, follow_expert)
            assert info["success"] and info["textworld"]["score"] == 1.0, (challenge, environment, split)
            assert info["steps"] == task.goal["expert_length"] and sum(rewards) == pytest.approx(1.0)
    env.close()


def test_games_are_generated_once_into_the_cache_and_splits_use_disjoint_seeds(textworld_family, cache):
    train = textworld_family.make_tasks("treasure_hunter", "easy", "train", 2, seed=0)
    unseen = textworld_family.make_tasks("treasure_hunter", "easy", "unseen", 2, seed=0)
    assert max(t.goal["seed"] for t in train) < 800 and min(t.goal["seed"] for t in unseen) >= 1000
    path = game_file("treasure_hunter", "easy", "train", train[0].goal["seed"])
    assert path.parent == cache / "textworld" and path.exists()
    stamp = path.stat().st_mtime_ns
    assert game_file("treasure_hunter", "easy", "train", train[0].goal["seed"]).stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="no 'cooking' game"):
        textworld_family.make_tasks("cooking", "easy", "train", 1, seed=0)


DEMONSTRATE = """
from clsim.envs import get_family
family = get_family("textworld")
for task in family.make_tasks("simple", "hard", "unseen", 2, seed=3):
    demo = family.demonstrate(task)
    print(task.id, [(s.observation, s.candidates, s.action_text) for s in demo.steps])
"""


def test_tasks_and_demonstrations_are_the_same_in_every_process(cache, tmp_path):
    """The second process generates its games afresh in its own cache: generation is seeded too."""
    runs = [subprocess.run([sys.executable, "-c", DEMONSTRATE], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "CLSIM_CACHE_DIR": str(where)}).stdout
            for where in (cache, tmp_path)]
    assert runs[0] == runs[1] and runs[0].count("\n") == 2


def test_candidates_hold_the_expert_command_and_bad_actions_never_raise(textworld_family):
    env = TextWorldEnv(max_steps=12)
    rng = np.random.default_rng(0)
    task = textworld_family.make_tasks("simple", "easy", "seen", 1, seed=1)[0]
    observation, info = env.reset(options={"task": task})
    for action in (999, -1, "fly to the moon"):
        after, reward, terminated, truncated, info = env.step(action)
        assert after["observation"].startswith(f"invalid action {action} .") and reward == 0.0
        assert info["expert_action"] in after["candidates"]
    detour = next(i for i, c in enumerate(after["candidates"]) if c != info["expert_action"])
    observation, _, terminated, truncated, info = env.step(detour)
    assert terminated or info["expert_action"] in observation["candidates"]  # the walkthrough replans from here
    done = terminated or truncated
    while not done:
        _, _, terminated, truncated, info = env.step(int(rng.integers(len(env.candidates))))
        done = terminated or truncated
    assert info["steps"] <= 12
    env.close()


def test_gymnasium_conformance():
    env = gym.make("clsim/TextWorld-v0").unwrapped
    check_env(env, skip_render_check=True)
    env.close()


def test_setups_over_challenges_and_levels(textworld_family):
    assert get_setup("textworld-behavior-il").segments(textworld_family, 1) == CHALLENGES
    assert get_setup("textworld-environment-il").segments(textworld_family, 2) == ("hard", "easy")


def test_the_evaluators_episodes_play_as_the_env_does_without_advice(textworld_family):
    from clsim.agents import RandomAgent
    from clsim.eval.rollout import _rollout_envs, rollout

    tasks = textworld_family.make_tasks("coin_collector", "hard", "seen", 2, seed=4)
    fast = rollout(textworld_family, RandomAgent(2), tasks, max_steps=10)
    assert fast == _rollout_envs(textworld_family, RandomAgent(2), tasks, 10, greedy=True)
    assert all(r.facts is not None and 0.0 <= r.facts["score"] <= 1.0 for r in fast)
