"""TextWorldExpress as a clsim world, with the real package and its Java server: the expert solves every game on
every split, tasks and demonstrations are the same in every process, candidates hold the expert's action, and
no action raises."""

import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from conftest import follow_expert, play_to_end
from gymnasium.utils.env_checker import check_env

from clsim.envs import get_family
from clsim.envs.textworlds import requirements
from clsim.envs.textworlds.text import clsim_text
from clsim.envs.textworlds.twx import SIZES, TextWorldExpressEnv
from clsim.streams import Stream, get_setup

pytest.importorskip("textworld_express", reason="the textworlds extra is not installed")
if requirements.java_version() is None:
    pytest.skip("TextWorldExpress needs a Java runtime", allow_module_level=True)


@pytest.fixture(scope="module")
def twx():
    return get_family("twx")


@pytest.mark.parametrize("split", ["train", "seen", "unseen"])
def test_the_expert_solves_every_game_and_size_with_the_suites_own_score(twx, split):
    env = TextWorldExpressEnv(max_steps=200)
    for size, games in SIZES.items():
        for game in games:
            for task in twx.make_tasks(game, size, split, 2, seed=7):
                info, rewards = play_to_end(env, task, follow_expert)
                assert info["success"] and info["twx"]["score"] == 1.0, (game, size, split)
                assert info["goal_conditions"][0] == info["goal_conditions"][1] == task.goal["points"]
                assert info["steps"] == task.goal["expert_length"] and sum(rewards) == pytest.approx(1.0)
    env.close()


def test_splits_map_onto_the_suites_folds_and_held_out_seeds(twx):
    train = twx.make_tasks("coin", "small", "train", 20, seed=0)
    seen = twx.make_tasks("coin", "small", "seen", 20, seed=0)
    unseen = twx.make_tasks("coin", "small", "unseen", 20, seed=0)
    assert {t.goal["fold"] for t in train + seen} == {"train"} and {t.goal["fold"] for t in unseen} == {"dev"}
    assert max(t.goal["seed"] for t in train) < 800 <= min(t.goal["seed"] for t in seen)
    assert len({t.id for t in train}) == 20
    with pytest.raises(ValueError, match="twx makes no arithmetic game in size 'large'"):
        twx.make_tasks("arithmetic", "large", "train", 1, seed=0)
    with pytest.raises(ValueError, match="200 seen games"):
        twx.make_tasks("coin", "small", "seen", 201, seed=0)


DEMONSTRATE = """
from clsim.envs import get_family
from clsim.streams import Stream, get_setup
stream = Stream(get_family("twx"), get_setup("twx-behavior-il"), order=1, seed=3, per_segment=2)
for item in stream:
    print(item.demonstration.task.id, [(s.action_text, len(s.candidates)) for s in item.demonstration.steps])
"""


def test_streams_and_expert_paths_are_the_same_in_every_process():
    """TWX seeds its own gold agents' random walks from the clock; clsim seeds them with the game's seed."""
    runs = [subprocess.run([sys.executable, "-c", DEMONSTRATE], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].count("\n") == 16


def test_candidates_always_hold_the_expert_action_and_bad_actions_never_raise(twx):
    env = TextWorldExpressEnv(max_steps=12)
    rng = np.random.default_rng(0)
    for task in twx.make_tasks("cookingworld", "small", "seen", 2, seed=1) + twx.make_tasks("twc", "large", "unseen",
                                                                                              2, seed=1):
        observation, info = env.reset(options={"task": task})
        assert info["expert_action"] in observation["candidates"]
        for action in (999, -1, "fly to the moon"):
            observation, reward, terminated, truncated, info = env.step(action)
            assert observation["candidates"] and info["action_mask"].sum() == len(observation["candidates"])
            assert info["expert_action"] in observation["candidates"]  # an invalid action leaves the game as it was
        detour = next(i for i, c in enumerate(observation["candidates"]) if c != info["expert_action"])
        observation, reward, terminated, truncated, info = env.step(np.int64(detour))
        assert "expert_action" not in info  # off the gold path, the suite's expert has no advice
        done = terminated or truncated
        while not done:
            _, _, terminated, truncated, info = env.step(int(rng.integers(len(env.candidates))))
            done = terminated or truncated
        assert info["steps"] <= 12
    env.close()


def test_an_invalid_action_keeps_what_the_game_last_said():
    env = gym.make("clsim/TextWorldExpress-v0")
    observation, _ = env.reset(seed=0)
    after, reward, *_ = env.step(10**6)
    assert after["observation"].startswith("invalid action 1000000 .") and reward == 0.0
    assert observation["observation"] in after["observation"]
    env.close()


def test_gymnasium_conformance():
    env = gym.make("clsim/TextWorldExpress-v0").unwrapped
    check_env(env, skip_render_check=True)
    env.close()


def test_setups_over_games_and_map_sizes(twx):
    assert get_setup("twx-behavior-il").segments(twx, 1)[:3] == ("cookingworld", "twc", "coin")
    assert get_setup("twx-environment-il").segments(twx, 1) == ("small", "large")
    stream = Stream(twx, get_setup("twx-environment-il"), order=1, seed=0, per_segment=5)
    large = [task for segment, task in stream.tasks if segment == "large"]
    assert {t.behavior for t in large} <= set(SIZES["large"]) and len(large) == 5


def test_text_follows_clsims_convention():
    assert clsim_text("You see a box, that is empty. It weighs 2.5kg!") == \
        "you see a box , that is empty . it weighs 2.5kg !"
    assert clsim_text("(A) note:\tTemp .5;  then 3.\nDone...") == "( a ) note : temp .5 ; then 3 . done . . ."
    assert clsim_text("") == ""


def test_a_missing_java_runtime_names_the_fix(monkeypatch):
    monkeypatch.setattr(requirements, "java_version", lambda: None)
    with pytest.raises(requirements.MissingRequirement, match="no Java runtime was found: install a Java runtime"):
        requirements.require("twx", "textworld_express", "textworld-express", java=True)
    with pytest.raises(requirements.MissingRequirement, match=r"pip install 'clsim\[textworlds\]'"):
        requirements.require("twx", "no_such_module_here", "textworld-express", java=False)


def test_the_evaluators_episodes_play_as_the_env_does_without_the_gold_agent(twx):
    from clsim.agents import RandomAgent
    from clsim.eval.rollout import _rollout_envs, rollout

    tasks = twx.make_tasks("coin", "large", "seen", 3, seed=4) + twx.make_tasks("sorting", "small", "unseen", 3, 4)
    fast = rollout(twx, RandomAgent(2), tasks, max_steps=15)
    assert fast == _rollout_envs(twx, RandomAgent(2), tasks, 15, greedy=True)
    assert all(r.facts is not None and 0.0 <= r.facts["score"] <= 1.0 for r in fast)


@pytest.mark.parametrize("user_options, ceiling", [(None, 1024**3), ("-Xmx256m", 256 * 1024**2)])
def test_a_pooled_game_server_has_a_bounded_java_heap(monkeypatch, user_options, ceiling):
    """The JVM's default heap ceiling is a quarter of the machine: 8 ScienceWorld servers outgrew 24 GB. A pooled
    server gets 1 GB unless the user's JAVA_TOOL_OPTIONS sets its own; the variable is left as it was."""
    from clsim.envs.textworlds import twx
    from clsim.envs.textworlds.servers import ServerPool

    if user_options is None:
        monkeypatch.delenv("JAVA_TOOL_OPTIONS", raising=False)
    else:
        monkeypatch.setenv("JAVA_TOOL_OPTIONS", user_options)
    server = ServerPool(twx.start_server).take()
    try:
        assert 0 < server._gateway.jvm.java.lang.Runtime.getRuntime().maxMemory() <= ceiling
    finally:
        server._gateway.shutdown()
    assert os.environ.get("JAVA_TOOL_OPTIONS") == user_options
    assert requirements.java_version().startswith(("openjdk", "java")), "the JVM's echo of the options is skipped"
