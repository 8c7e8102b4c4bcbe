"""The VLN-style navigation world: buildings, expert, dialogue, metrics, Gymnasium conformance, setups."""

import math

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

from clsim.envs import get_family
from clsim.envs.navigation.building import SEEN_BUILDINGS, UNSEEN_BUILDINGS, make_building
from clsim.envs.navigation.env import NavigationEnv, ndtw
from clsim.envs.navigation.language import ASK, STOP
from clsim.envs.navigation.metrics import navigation_scores
from clsim.experiment import RunConfig
from clsim.streams import get_setup


@pytest.fixture(scope="module")
def navigation():
    return get_family("navigation")


def run_expert(env, task):
    observation, info = env.reset(options={"task": task})
    total, done, actions = 0.0, False, []
    while not done:
        actions.append(info["expert_action"])
        observation, reward, terminated, truncated, info = env.step(observation["candidates"].index(actions[-1]))
        total += reward
        done = terminated or truncated
    return info, total, actions


def test_eight_scene_domains_of_connected_buildings_with_held_out_unseen_ones(navigation):
    assert len(navigation.environments) >= 8
    assert set(SEEN_BUILDINGS).isdisjoint(UNSEEN_BUILDINGS) and len(SEEN_BUILDINGS) + len(UNSEEN_BUILDINGS) == 30
    for domain in navigation.environments:
        for index in (1, 27):
            building = make_building(domain, index)
            assert make_building.__wrapped__(domain, index) == building  # a building depends on its name alone
            assert len({v.room_index for v in building.viewpoints}) >= 7
            assert all(math.isfinite(d) for row in building.distances for d in row)  # connected
            for a, neighbours in enumerate(building.neighbours):
                assert all(a in building.neighbours[b] for b in neighbours)
    with pytest.raises(ValueError, match="unknown scene domain 'castle'; allowed: home, office"):
        navigation.make_tasks("instruction", "castle", "train", 1, 0)
    with pytest.raises(ValueError, match="unknown building 'home-31'"):
        NavigationEnv().reset(options={"task": navigation.make_tasks("instruction", "home", "train", 1, 0)[0].__class__(
            **{**navigation.make_tasks("instruction", "home", "train", 1, 0)[0].to_dict(), "scene": "home-31"})})


@pytest.mark.parametrize("mode", ["instruction", "dialogue"])
def test_the_expert_reaches_every_goal_on_a_shortest_path(navigation, mode):
    env = NavigationEnv(max_steps=60)
    for domain in navigation.environments:
        for split in ("train", "unseen"):
            for task in navigation.make_tasks(mode, domain, split, 3, 0):
                info, total, actions = run_expert(env, task)
                facts = info["navigation"]
                assert info["success"] and facts["nav_error"] == 0.0 and facts["ndtw"] == pytest.approx(1.0)
                assert facts["path_length"] == pytest.approx(facts["shortest_length"])
                assert total == pytest.approx(2.0)  # the whole distance, then the success bonus
                assert len(actions) == info["expert_length"] and actions[-1] == STOP
                moves = sum(a.startswith("go ") for a in actions)
                assert actions.count(ASK) == (math.ceil(moves / 3) if mode == "dialogue" else 0) == facts["asks"]
                assert (3 if mode == "instruction" else 5) <= moves


def test_dialogue_tasks_name_only_the_target_and_the_guide_describes_the_next_moves(navigation):
    task = navigation.make_tasks("dialogue", "hospital", "train", 1, 3)[0]
    env = NavigationEnv()
    observation, info = env.reset(options={"task": task})
    goal = env.building.viewpoints[task.goal["goal"]]
    assert goal.landmark in task.instruction and " then " not in task.instruction
    observation, reward, *_ , info = env.step(observation["candidates"].index(ASK))
    assert reward == 0.0 and info["asks"] == 1
    first_move = info["expert_action"]
    assert f"the guide says : {first_move} ," in observation["observation"]


def test_instructions_paraphrase_the_route_instead_of_repeating_candidates(navigation):
    tasks = [t for d in navigation.environments for t in navigation.make_tasks("instruction", d, "train", 5, 0)]
    assert len({t.instruction.split()[0] for t in tasks}) >= 4  # go, walk, head, move, continue
    demo = navigation.demonstrate(tasks[0])
    chosen = [s.candidates[s.action] for s in demo.steps if s.candidates[s.action].startswith("go ")]
    assert not any(text in tasks[0].instruction for text in chosen)
    assert len(tasks[0].steps) == len(chosen) + 1


def test_ndtw_spl_and_goal_progress_on_a_hand_computed_case():
    building = make_building("home", 1)
    a, b = 0, building.neighbours[0][0]
    c = next(n for n in building.neighbours[b] if n != a)
    assert ndtw([a, b, c], [a, b, c], building) == 1.0
    detour = ndtw([a, b, a, b, c], [a, b, c], building)
    # The best monotone alignment pairs path a,b,a,b,c with reference a,a,a,b,c (or a,b,b,b,c): one visit is
    # d(a, b) from its reference point, so DTW = d(a, b) and nDTW = exp(-d(a, b) / (|R| * 3 m)).
    assert detour == pytest.approx(math.exp(-building.distances[a][b] / (3 * 3.0)))
    facts = [{"success": 1.0, "shortest_length": 10.0, "path_length": 20.0, "nav_error": 1.0, "oracle_success": 1.0,
              "ndtw": 0.5, "progress": 9.0, "asks": 2.0},
             {"success": 0.0, "shortest_length": 10.0, "path_length": 5.0, "nav_error": 6.0, "oracle_success": 0.0,
              "ndtw": 0.3, "progress": 4.0, "asks": 0.0}]
    scores = navigation_scores(facts)
    assert scores["spl"] == pytest.approx((0.5 + 0.0) / 2) and scores["sdtw"] == pytest.approx(0.25)
    assert scores["ne"] == 3.5 and scores["osr"] == 0.5 and scores["gp"] == 6.5 and scores["asks"] == 1.0


def test_gymnasium_conformance():
    check_env(NavigationEnv(), skip_render_check=True)
    env = gym.make("clsim/Navigation-v0")
    observation, info = env.reset(seed=0)
    assert observation["candidates"] and info["action_mask"].sum() == len(observation["candidates"])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), actions=st.lists(st.integers(-2, 18), min_size=1, max_size=40))
def test_any_action_sequence_keeps_the_agent_on_the_graph(navigation, seed, actions):
    mode = ("instruction", "dialogue")[seed % 2]
    domain = navigation.environments[seed % len(navigation.environments)]
    task = navigation.make_tasks(mode, domain, "train", 1, seed)[0]
    env = NavigationEnv(max_steps=30)
    env.reset(options={"task": task})
    for action in actions:
        before = env.node
        _, reward, terminated, truncated, info = env.step(action)
        assert env.node == before or env.node in env.building.neighbours[before]
        assert -1.0 <= reward <= 2.0 and env.visited[-1] == env.node
        assert info["action_mask"].sum() == len(env.candidates)
        if terminated or truncated:
            assert info["navigation"]["nav_error"] == env.distance() and 0.0 <= info["navigation"]["ndtw"] <= 1.0
            break


def test_cvln_setups_are_environment_incremental_over_domains_in_one_mode(navigation):
    for mode in ("instruction", "dialogue"):
        setup = get_setup(f"cvln-{mode}")
        orders = [setup.segments(navigation, k) for k in (1, 2, 3)]
        assert all(sorted(o) == sorted(navigation.environments) for o in orders) and len(set(orders)) == 3
        assert setup.cells(navigation, "office") == [(mode, "office")]
        assert RunConfig(setup=f"cvln-{mode}").world == "navigation"  # the setup names its world
    assert RunConfig().world == "household"
