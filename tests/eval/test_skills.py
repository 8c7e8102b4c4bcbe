"""Per-skill success and forgetting: each goal condition names the skill it tests, eval records count them per
suite, and the summary follows each skill over the stream."""

from clsim.envs import get_family
from clsim.envs.household import HouseholdEnv
from clsim.eval.summary import skill_forgetting


def test_a_heat_task_solved_by_the_expert_met_every_skill_it_needed():
    task = get_family("household").make_tasks("pick_heat_then_place_in_recep", "kitchen", "seen", 1, seed=3)[0]
    env = HouseholdEnv(max_steps=200)
    observation, info = env.reset(options={"task": task})
    assert env.episode.skills()["heat"] == (0, 1)
    done = False
    while not done:
        observation, _, terminated, truncated, info = env.step(observation["candidates"].index(info["expert_action"]))
        done = terminated or truncated
    expected = {"put": (2, 2), "heat": (1, 1)} | ({"slice": (1, 1)} if task.goal.get("sliced") else {})
    assert info["success"] and info["skills"] == expected
    assert sum(m for m, _ in expected.values()) == info["goal_conditions"][0]


def _record(*suites):
    return {"scores": {name: {"seen": {"sr": 0.0, "skills": skills}} for name, skills in suites}}


def test_skill_success_sums_over_seen_segments_and_forgetting_is_best_before_the_end_minus_final():
    records = [
        _record(("heat", {"put": [1, 2], "heat": [1, 1]})),
        _record(("heat", {"put": [2, 2], "heat": [1, 1]}), ("cool", {"put": [0, 2], "cool": [1, 1]})),
        _record(("heat", {"put": [1, 2], "heat": [0, 1]}), ("cool", {"put": [2, 2], "cool": [1, 1]})),
    ]
    skills = skill_forgetting(records, "seen")
    assert skills["put"] == {"curve": [0.5, 0.5, 0.75], "final": 0.75, "best": 0.5, "forgetting": -0.25}
    assert skills["heat"] == {"curve": [1.0, 1.0, 0.0], "final": 0.0, "best": 1.0, "forgetting": 1.0}
    assert skills["cool"] == {"curve": [None, 1.0, 1.0], "final": 1.0, "best": 1.0, "forgetting": 0.0}
    assert skill_forgetting(records, "unseen") == {}
