"""The ALFWorld-like high action level of the household world: same tasks, same goal conditions."""

import pytest
from gymnasium.utils.env_checker import check_env

from clsim.agents.tokenizer import WordTokenizer
from clsim.envs import get_family
from clsim.envs.household.env import HouseholdEnv
from clsim.envs.household.highlevel import ACTION_CLASSES, execute
from clsim.envs.household.tasks import build_world


def play_expert(env, task):
    observation, info = env.reset(options={"task": task})
    actions, done = [], False
    while not done:
        actions.append(info["expert_action"])
        observation, _, terminated, truncated, info = env.step(observation["candidates"].index(actions[-1]))
        done = terminated or truncated
    return actions, info


@pytest.mark.parametrize("behavior", get_family("household").behaviors)
def test_the_high_level_expert_solves_every_task_type_in_every_scene_type(household, behavior):
    env = HouseholdEnv(action_level="high")
    for scene_type in household.environments:
        if not household.allowed(behavior, scene_type):
            continue
        for task in household.make_tasks(behavior, scene_type, "train", 2, 0) + household.make_tasks(
                behavior, scene_type, "unseen", 1, 0):
            actions, info = play_expert(env, task)
            assert info["success"] and actions[-1] == "stop", (task.scene, actions)
            assert len(actions) == info["expert_length"] == info["steps"]
            assert len(actions) < len(household.demonstrate(task).steps)  # one walk replaces many low-level moves
            assert {a.split()[0] for a in actions} <= set(ACTION_CLASSES)


def test_heat_is_one_action_that_meets_alfreds_heat_condition(household):
    task = household.make_tasks("pick_heat_then_place_in_recep", "kitchen", "train", 1, 0)[0]
    env = HouseholdEnv(action_level="high")
    observation, info = env.reset(options={"task": task})
    while not info["expert_action"].startswith("heat"):
        observation, *_, info = env.step(observation["candidates"].index(info["expert_action"]))
    before = info["goal_conditions"][0]
    observation, reward, *_, info = env.step(observation["candidates"].index(info["expert_action"]))
    held = env.world.held
    assert held is not None and held.hot and info["goal_conditions"][0] == before + 1 and reward > 0
    assert not env.world.opened and not env.world.switched_on  # the macro closed and switched off what it used


def test_a_failing_high_level_action_leaves_the_world_as_it_was(household):
    task = household.make_tasks("pick_cool_then_place_in_recep", "kitchen", "train", 1, 0)[0]
    world = build_world(task.scene, task.behavior, task.goal, task.seed)
    fridge = next(s for s in world.layout.stations if s.kind == "fridge")
    world, failure = execute(world, "go", fridge)
    assert failure is None and world.reachable() is fridge
    after, failure = execute(world, "do", [f"OpenObject {fridge.name}", "PickupObject nothing 1"])
    assert failure is not None and after is world and fridge.name not in world.opened
    env = HouseholdEnv(action_level="high")
    observation, _ = env.reset(options={"task": task})
    observation, reward, terminated, truncated, info = env.step(len(observation["candidates"]) + 3)
    assert "failed" in observation["observation"] and info["fails"] == 1 and not terminated and reward == 0


def test_high_level_world_family_gymnasium_conformance_and_vocabulary():
    check_env(HouseholdEnv(action_level="high"), skip_render_check=True)
    family = get_family("household-hl")
    tokenizer = WordTokenizer(family.vocabulary())
    task = family.make_tasks("pick_and_place_with_movable_recep", "bedroom", "train", 1, 0)[0]
    demonstration = family.demonstrate(task)
    texts = [c for s in demonstration.steps for c in s.candidates] + [s.observation for s in demonstration.steps]
    assert tokenizer.unknown_rate(texts) == 0.0
    assert demonstration.steps[0].candidates[0].startswith("go to ")
    with pytest.raises(ValueError, match="action_level must be one of low, high, got 'mid'"):
        HouseholdEnv(action_level="mid")


def test_high_level_tasks_name_their_world_so_streams_replay_them_at_that_level(tmp_path):
    from dataclasses import replace

    from typer.testing import CliRunner

    from clsim.cli.app import app

    task = get_family("household-hl").make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0)[0]
    low = get_family("household").make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0)[0]
    assert task.family == "household-hl" and replace(task, family="household") == low  # same task, other level
    stream = tmp_path / "hl.jsonl"
    exported = CliRunner().invoke(app, ["stream", "--world", "household-hl", "--per-segment", "1", "--out", str(stream)])
    assert exported.exit_code == 0 and "--world household-hl" in " ".join(exported.output.split())
    tiny = ["--per-segment", "1", "--eval-episodes", "1", "--max-steps", "5", "--no-baseline"]
    trained = CliRunner().invoke(app, ["train", "--world", "household-hl", "--stream", str(stream),
                                       "--out", str(tmp_path / "run"), *tiny])
    assert trained.exit_code == 0, trained.output
    wrong = CliRunner().invoke(app, ["train", "--stream", str(stream), "--out", str(tmp_path / "x"), *tiny])
    assert wrong.exit_code == 2 and ("the stream holds household-hl tasks, but this run's world is household; train "
                                     "it with --world household-hl") in " ".join(wrong.output.split())
