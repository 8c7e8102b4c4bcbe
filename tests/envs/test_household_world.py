"""The household world: ALFRED's task types, goal conditions, physics and Gymnasium conformance."""

import random
import warnings

import gymnasium as gym
import pytest
from conftest import play_to_end
from gymnasium.utils.env_checker import check_env

from clsim.envs import get_family
from clsim.envs.household.catalogue import SCENE_TYPES, TASK_SCENES, TASK_TYPES, spoken
from clsim.envs.household.env import HouseholdEnv, TextActions
from clsim.envs.household.expert import goto, next_action
from clsim.envs.household.layout import UNSEEN_LAYOUTS, make_layout
from clsim.envs.household.tasks import build_world, make_tasks, run_expert
from clsim.envs.household.world import ACTIONS, STOP, Thing, World

EXPECTED_CONDITIONS = {
    "pick_and_place_simple": 1, "pick_two_obj_and_place": 2, "look_at_obj_in_light": 2,
    "pick_clean_then_place_in_recep": 3, "pick_heat_then_place_in_recep": 3,
    "pick_cool_then_place_in_recep": 3, "pick_and_place_with_movable_recep": 3,
}


def run_expert_in_env(env, task):
    obs, info = env.reset(options={"task": task})
    assert info["goal_conditions"][0] < info["goal_conditions"][1], "task must not start solved"
    done, steps = False, 0
    while not done:
        action = obs["candidates"].index(info["expert_action"])
        obs, _, terminated, truncated, info = env.step(action)
        done, steps = terminated or truncated, steps + 1
    return terminated, info, steps


@pytest.mark.parametrize("behavior", TASK_TYPES)
def test_expert_solves_every_task_type_in_every_allowed_scene_type(behavior):
    env = HouseholdEnv(max_steps=200)
    for scene_type in TASK_SCENES[behavior]:
        for split in ("train", "unseen"):
            for task in make_tasks(behavior, scene_type, split, 4, seed=11):
                terminated, info, steps = run_expert_in_env(env, task)
                assert terminated and info["success"], (task.scene, task.goal)
                assert steps == info["expert_length"]
                met, total = info["goal_conditions"]
                assert met == total == EXPECTED_CONDITIONS[behavior] + bool(task.goal.get("sliced"))


@pytest.mark.parametrize("behavior", TASK_TYPES)
def test_the_expert_rollout_takes_the_actions_next_action_gives_at_every_step(behavior):
    """A rollout follows one intent's moves without deciding again (the planning that makes a task): the actions
    and subgoals must be those of asking the reactive expert afresh at every step."""
    for scene_type in TASK_SCENES[behavior]:
        for split in ("train", "unseen"):
            for task in make_tasks(behavior, scene_type, split, 6, seed=5):
                world = build_world(task.scene, task.behavior, task.goal, task.seed)
                rollout = [(action, subgoal) for _, action, subgoal in run_expert(world.copy(), behavior, task.goal)]
                asked = []
                while not asked or asked[-1][0] != STOP:
                    asked.append(next_action(world, behavior, task.goal))
                    if asked[-1][0] != STOP:
                        assert world.act(asked[-1][0]) is None
                assert rollout == asked, task.id


@pytest.mark.parametrize("behavior", TASK_TYPES)
def test_the_advice_along_a_wandering_walk_is_what_next_action_gives_afresh(behavior):
    """An episode decides the expert's intent once per change of the objects: wherever an agent that follows the
    expert half the time wanders, picks things up or puts them down, its advice must be the reactive expert's
    from that very state."""
    env, rng = HouseholdEnv(max_steps=80), random.Random(3)
    checked = holding = 0

    def check_then_wander(obs, info):
        nonlocal checked, holding
        assert info["expert_action"] == next_action(env.world, behavior, env.task.goal)[0]
        assert info["expert_action"] in obs["candidates"], "the advice is always admissible"
        checked, holding = checked + 1, holding + (env.world.held is not None)
        others = [c for c in obs["candidates"] if c != STOP]  # half the time the expert, else anything else
        return obs["candidates"].index(info["expert_action"] if rng.random() < 0.5 else rng.choice(others))

    for task in make_tasks(behavior, TASK_SCENES[behavior][0], "train", 5, seed=2):
        play_to_end(env, task, check_then_wander)
    assert checked >= 150 and holding > 0, (checked, holding)  # the walks hold things too (advice by pose)


def test_task_type_distribution_follows_alfred():
    assert set(TASK_SCENES["pick_heat_then_place_in_recep"]) == {"kitchen"}
    assert set(TASK_SCENES["pick_cool_then_place_in_recep"]) == {"kitchen"}
    bathroom = {b for b in TASK_TYPES if "bathroom" in TASK_SCENES[b]}
    assert bathroom == {"pick_clean_then_place_in_recep", "pick_two_obj_and_place", "pick_and_place_simple"}
    with pytest.raises(ValueError, match="occurs in kitchen"):
        make_tasks("pick_heat_then_place_in_recep", "bathroom", "train", 1, 0)


def test_sliced_variants_exist_and_need_a_knife():
    tasks = make_tasks("pick_and_place_simple", "kitchen", "train", 40, seed=3)
    sliced = [t for t in tasks if t.goal.get("sliced")]
    assert sliced, "some kitchen tasks must ask for a sliced object"
    world = build_world(sliced[0].scene, sliced[0].behavior, sliced[0].goal, sliced[0].seed)
    assert any(t.type.knife for t in world.things.values())


def test_layouts_are_seeded_and_split():
    assert make_layout("kitchen", 3) is make_layout("kitchen", 3)
    assert make_layout("kitchen", 3).stations != make_layout("kitchen", 4).stations
    assert {make_layout(s, i).split for s in SCENE_TYPES for i in UNSEEN_LAYOUTS} == {"unseen"}
    for task in make_tasks("pick_and_place_simple", "bedroom", "unseen", 5, 0):
        assert int(task.scene.rsplit("-", 1)[1]) in UNSEEN_LAYOUTS
    with pytest.raises(ValueError, match="1..30"):
        make_layout("kitchen", 31)


def _facing(world, kind):
    """Walk the expert's way to the first station of `kind`."""
    station = next(s for s in world.layout.stations if s.kind == kind)
    while (action := goto(world, station)) is not None:
        assert world.act(action) is None
    return station


def test_heated_means_in_microwave_when_toggled_on():
    world = World(make_layout("kitchen", 1), (0, 0, 0), [])
    microwave = _facing(world, "microwave")
    world.things["apple 1"] = Thing("apple 1", "apple", microwave.name)
    assert world.act(f"ToggleObjectOn {microwave.name}") is None
    assert world.things["apple 1"].hot
    assert world.act(f"OpenObject {microwave.name}") is not None, "a running microwave cannot be opened"


def test_cooled_means_in_fridge_when_closed_and_cleaned_means_faucet_on():
    world = World(make_layout("kitchen", 1), (0, 0, 0), [])
    fridge = _facing(world, "fridge")
    world.things["egg 1"] = Thing("egg 1", "egg", fridge.name)
    world.act(f"OpenObject {fridge.name}")
    assert not world.things["egg 1"].cold
    world.act(f"CloseObject {fridge.name}")
    assert world.things["egg 1"].cold
    sink = _facing(world, "sinkbasin")
    world.things["mug 1"] = Thing("mug 1", "mug", sink.name)
    world.act(f"ToggleObjectOn {sink.fixtures[0]}")
    assert world.things["mug 1"].clean


def line_of(text, name):
    return next(line.strip() for line in text.split(" .") if line.strip().startswith(f"{name} "))


def test_things_stay_in_view_once_seen_and_hidden_until_their_station_is_opened():
    world = World(make_layout("kitchen", 1), (0, 0, 0), [])
    microwave = _facing(world, "microwave")
    fridge = next(s for s in world.layout.stations if s.kind == "fridge")
    world = World(world.layout, world.pose, [Thing("egg 1", "egg", microwave.name), Thing("apple 1", "apple", fridge.name)])
    world.horizon = microwave.type.height
    assert "egg 1" not in world.render() and "apple 1" not in world.render(), "closed stations hide what they hold"
    assert world.act(f"OpenObject {microwave.name}") is None
    assert line_of(world.render(), "egg 1").endswith("at microwave 1")
    assert world.act(f"CloseObject {microwave.name}") is None
    before = world.render()
    assert line_of(before, "egg 1").endswith("at microwave 1"), "what the agent saw inside stays in view when it closes"
    assert world.act(f"ToggleObjectOn {microwave.name}") is None
    assert world.act(f"ToggleObjectOff {microwave.name}") is None
    assert world.render() != before and line_of(world.render(), "egg 1").endswith(" hot at microwave 1")
    assert "apple 1" not in world.copy().render()


@pytest.mark.parametrize("behavior", TASK_TYPES)
def test_the_experts_action_is_a_function_of_what_the_agent_sees(behavior):
    """No two states of a demonstration look the same to the agent yet call for different actions: a
    memoryless policy can imitate every expert step (a closed microwave once hid whether it had heated)."""
    family = get_family("household")
    for scene_type in TASK_SCENES[behavior]:
        for task in make_tasks(behavior, scene_type, "train", 6, seed=5):
            seen = {}
            for step in family.demonstrate(task).steps:
                view = (step.observation, step.candidates)
                assert seen.setdefault(view, step.action_text) == step.action_text, (task.scene, step.observation)


def test_candidates_are_exactly_the_actions_that_succeed():
    env = HouseholdEnv()
    for seed in range(5):
        env.reset(seed=seed)
        for _ in range(30):
            world = env.world
            for candidate in world.candidates():
                if candidate != "Stop" and not candidate.startswith(("Move", "Look")):
                    assert world.copy().act(candidate) is None, candidate
            env.step(env.np_random.integers(len(world.candidates()) - 1))


def test_invalid_actions_fail_in_world_and_never_raise():
    env = TextActions(HouseholdEnv(max_fails=5))
    obs, info = env.reset(seed=0)
    for action in ["PickupObject unicorn 1", "Fly", "", "PutObject fridge 1", "SliceObject apple 1"]:
        obs, reward, terminated, truncated, info = env.step(action)
        assert "failed" in obs["observation"]
        assert not terminated and reward == 0
    assert info["fails"] == 5 and truncated, "ALFRED-style limit on failed actions ends the episode"
    raw = HouseholdEnv()
    raw.reset(seed=1)
    _, _, terminated, _, info = raw.step(63)  # beyond the candidates
    assert not terminated and info["fails"] == 1


def test_reset_replays_a_task_exactly():
    env = HouseholdEnv()
    task = make_tasks("pick_cool_then_place_in_recep", "kitchen", "train", 1, 5)[0]
    first, _ = env.reset(options={"task": task})
    second, _ = HouseholdEnv().reset(seed=99, options={"task": task})
    assert first == second
    assert first["instruction"] == task.instruction


def test_gymnasium_registration_and_check_env_pass_cleanly():
    env = gym.make("clsim/Household-v0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=False)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert info["action_mask"].sum() == len(obs["candidates"])
    assert set(c.split()[0] for c in obs["candidates"]) <= set(ACTIONS)


def test_without_expert_advice_the_env_plays_the_same_but_leaves_the_advice_out():
    task = make_tasks("pick_heat_then_place_in_recep", "kitchen", "train", 1, 2)[0]
    advised, plain = HouseholdEnv(), HouseholdEnv(expert_advice=False)
    (obs, info), (plain_obs, plain_info) = advised.reset(options={"task": task}), plain.reset(options={"task": task})
    done = False
    while not done:
        assert plain_obs == obs and "expert_action" not in plain_info
        assert {k: v for k, v in info.items() if k not in ("expert_action", "action_mask")} == \
            {k: v for k, v in plain_info.items() if k != "action_mask"}
        action = obs["candidates"].index(info["expert_action"])
        obs, reward, terminated, truncated, info = advised.step(action)
        plain_obs, plain_reward, *_, plain_info = plain.step(action)
        assert plain_reward == reward
        done = terminated or truncated
    assert terminated and plain_info["success"]


@pytest.mark.parametrize("behavior", TASK_TYPES)
def test_instructions_name_things_as_observations_and_candidates_do(household, behavior):
    """The goal's object, receptacle and lamp are named by the same words in the instruction, in the
    observation lines and in the actions on them ("desk lamp", "counter"), so matching words is a signal."""
    for scene_type in TASK_SCENES[behavior]:
        for task in make_tasks(behavior, scene_type, "train", 6, seed=3):
            demo = household.demonstrate(task)
            seen = " ".join(step.observation for step in demo.steps)
            acted = " ".join(step.candidates[step.action] for step in demo.steps)
            for key in ("object", "receptacle", "mrecep", "lamp"):
                if not task.goal.get(key):
                    continue
                words = spoken(task.goal[key])
                assert words in task.instruction, (words, task.instruction)
                assert f" {words} 1" in f" {seen}", (words, seen[:200])
                if key != "lamp":
                    assert f" {words} " in f" {acted} ", (words, acted)


@pytest.mark.parametrize("behavior", TASK_TYPES)
def test_every_thing_an_action_names_has_a_line_that_starts_with_its_name(household, behavior):
    """Lines share one shape: name, bearing (or "in hand"), state, where it is. Whatever an action acts on (objects,
    stations, faucets, desk lamps) has a line of its own, so a policy can tie each action to what it sees of it."""
    for task in make_tasks(behavior, TASK_SCENES[behavior][0], "train", 6, seed=5):
        for step in household.demonstrate(task).steps:
            lines = [line.strip() for line in step.observation.split(" .") if line.strip()]
            for candidate in step.candidates:
                verb, _, target = candidate.partition(" ")
                if target:
                    assert any(line.startswith(f"{target} ") for line in lines), (candidate, lines)
            for line in lines[2:]:
                words = line.split()
                number = next(i for i, w in enumerate(words) if w.isdigit())
                where = " ".join(words[number + 1: number + 3])
                assert words[number + 1] in ("ahead", "abreast", "behind") or where == "in hand", \
                    f"where it is follows the name: {line}"
