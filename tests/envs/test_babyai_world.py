"""BabyAI as a clsim world, with the real minigrid levels and bot: the expert solves every skill in one room and
several on every split, the grid reads as egocentric text, streams repeat, and no action raises."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

pytest.importorskip("minigrid", reason="the textworlds extra is not installed")

from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX, STATE_TO_IDX  # noqa: E402

from clsim.envs import get_family  # noqa: E402
from clsim.envs.textworlds.babyai import ACTIONS, LEVELS, BabyAIEnv, describe_view  # noqa: E402
from clsim.streams import get_setup  # noqa: E402


@pytest.fixture(scope="module")
def babyai():
    return get_family("babyai")


@pytest.mark.parametrize("split", ["train", "seen", "unseen"])
def test_the_bot_solves_every_skill_in_one_room_and_several(babyai, split):
    env = BabyAIEnv(max_steps=500)
    for room, skills in LEVELS.items():
        for skill in skills:
            for task in babyai.make_tasks(skill, room, split, 2, seed=5):
                observation, info = env.reset(options={"task": task})
                done, total = False, 0.0
                while not done:
                    assert info["expert_action"] in observation["candidates"]
                    observation, reward, terminated, truncated, info = env.step(info["expert_action"])
                    total, done = total + reward, terminated or truncated
                assert info["success"] and total > 0 and info["steps"] == task.goal["expert_length"], (skill, room)


def test_the_view_reads_as_egocentric_text():
    image = np.zeros((7, 7, 3), dtype=np.uint8)
    image[:, :, 0] = OBJECT_TO_IDX["empty"]
    image[3, 5] = (OBJECT_TO_IDX["door"], COLOR_TO_IDX["red"], STATE_TO_IDX["locked"])  # right in front
    image[1, 3] = (OBJECT_TO_IDX["ball"], COLOR_TO_IDX["blue"], 0)  # 3 ahead, 2 to the left
    image[2, 6] = (OBJECT_TO_IDX["wall"], 0, 0)  # beside the agent, on its left
    assert describe_view(image, "a green key") == (
        "in front of you : a locked red door . a blue ball 3 steps ahead and 2 steps to the left . "
        "a wall on your left . you carry a green key .")


SAMPLE = """
from clsim.envs import get_family
from clsim.streams import Stream, get_setup
stream = Stream(get_family("babyai"), get_setup("babyai-behavior-il"), order=1, seed=2, per_segment=2)
for item in stream:
    print(item.demonstration.task.id, [s.action for s in item.demonstration.steps], item.demonstration.steps[0].observation)
"""


def test_streams_are_the_same_in_every_process():
    runs = [subprocess.run([sys.executable, "-c", SAMPLE], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].count("\n") == 12 and "Sampling rejected" not in runs[0]


def test_bad_actions_fail_in_world_and_the_bot_advises_from_any_state(babyai):
    env = BabyAIEnv(max_steps=30)
    task = babyai.make_tasks("pickup", "one-room", "seen", 1, seed=0)[0]
    env.reset(options={"task": task})
    for action in (7, -1, "jump", np.int64(0), "go forward", "turn right"):
        observation, reward, terminated, truncated, info = env.step(action)
        assert observation["candidates"] == ACTIONS and reward == 0.0
    assert observation["observation"].startswith("in front of you") and info["expert_action"] in ACTIONS
    assert env.step(7)[0]["observation"].startswith("invalid action 7 .")


def test_gymnasium_conformance():
    check_env(gym.make("clsim/BabyAI-v0").unwrapped, skip_render_check=True)


def test_setups_follow_babyais_curriculum_and_room_counts(babyai):
    assert get_setup("babyai-behavior-il").segments(babyai, 1) == ("goto", "pickup", "open", "putnext", "unlock",
                                                                    "synth")
    assert get_setup("babyai-environment-il").segments(babyai, 1) == ("one-room", "multi-room")


def test_levels_the_bot_cannot_solve_are_skipped_not_streamed(babyai):
    from clsim.envs.textworlds.babyai import make_task

    assert make_task("synth", "multi-room", "train", 112177) is None  # the bot loses its way in this layout
    tasks = babyai.make_tasks("synth", "multi-room", "train", 40, seed=0)
    assert len({t.id for t in tasks}) == 40 and all(t.goal["expert_length"] > 0 for t in tasks)


def test_the_evaluators_episodes_play_as_the_env_does_without_the_bot(babyai):
    from clsim.agents import RandomAgent
    from clsim.eval.rollout import _rollout_envs, rollout

    tasks = babyai.make_tasks("goto", "multi-room", "seen", 4, seed=2) + babyai.make_tasks("open", "one-room",
                                                                                            "seen", 4, seed=2)
    assert rollout(babyai, RandomAgent(1), tasks, max_steps=20) == _rollout_envs(babyai, RandomAgent(1), tasks, 20,
                                                                                  greedy=True)
