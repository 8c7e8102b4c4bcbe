"""The AI2-THOR backend's mapping layer, on THOR-shaped metadata written here. THOR itself is not run:
these tests check our names, actions, candidates and goal conditions, and the error without THOR."""

import copy
import sys
import types

import pytest

from clsim.envs.core import Task
from clsim.envs.thor import ThorHouseholdEnv, ThorUnavailable, make_controller
from clsim.envs.thor.mapping import (
    StateChanges,
    floorplan,
    missing_types,
    name_objects,
    thor_action,
    thor_candidates,
    thor_goal_conditions,
)


def obj(object_id, kind, **state):
    return {"objectId": object_id, "objectType": kind, "visible": True, "parentReceptacles": None, **state}


KITCHEN = [
    obj("Apple|1", "Apple", pickupable=True, parentReceptacles=["CounterTop|2"]),
    obj("CounterTop|2", "CounterTop", receptacle=True),
    obj("CounterTop|1", "CounterTop", receptacle=True),
    obj("Microwave|1", "Microwave", receptacle=True, openable=True, isOpen=False, toggleable=True, isToggled=False),
    obj("Fridge|1", "Fridge", receptacle=True, openable=True, isOpen=False),
    obj("Knife|1", "Knife", pickupable=True, parentReceptacles=["CounterTop|1"]),
]


def test_every_household_type_has_a_thor_type_and_scenes_map_to_alfreds_floor_plans():
    assert missing_types() == []
    assert floorplan("kitchen-07") == "FloorPlan7" and floorplan("bathroom-12") == "FloorPlan412"
    with pytest.raises(ValueError, match="no AI2-THOR floor plan for scene 'garage-01'"):
        floorplan("garage-01")


def test_instances_are_numbered_per_type_in_object_id_order():
    names = name_objects(KITCHEN)
    assert names["counter 1"] == "CounterTop|1" and names["counter 2"] == "CounterTop|2"
    assert names["apple 1"] == "Apple|1" and len(names) == len(KITCHEN)


def test_actions_map_to_thor_calls_with_alfreds_step_sizes():
    names = name_objects(KITCHEN)
    assert thor_action("RotateLeft", names) == {"action": "RotateLeft", "degrees": 90}
    assert thor_action("LookDown", names) == {"action": "LookDown", "degrees": 30}
    assert thor_action("MoveAhead", names) == {"action": "MoveAhead"}
    assert thor_action("PickupObject apple 1", names) == {"action": "PickupObject", "objectId": "Apple|1"}
    assert thor_action("PutObject microwave 1", names)["forceAction"] is True
    assert thor_action("Stop", names) is None
    with pytest.raises(ValueError, match="'PickupObject pear 1' names no object of this THOR scene"):
        thor_action("PickupObject pear 1", names)
    with pytest.raises(ValueError, match="unknown action 'Jump'"):
        thor_action("Jump", names)


def test_candidates_follow_thors_state():
    names = name_objects(KITCHEN)
    empty_handed = thor_candidates(KITCHEN, names)
    assert "PickupObject apple 1" in empty_handed and "OpenObject microwave 1" in empty_handed
    assert not any(a.startswith(("PutObject", "SliceObject")) for a in empty_handed)
    holding = copy.deepcopy(KITCHEN)
    holding[5]["isPickedUp"] = True  # the knife
    holding[0]["sliceable"] = True
    actions = thor_candidates(holding, names)
    assert "SliceObject apple 1" in actions and "PutObject counter 2" in actions
    assert "PutObject microwave 1" not in actions  # closed
    assert actions[-1] == "Stop"


def test_heat_goal_conditions_follow_alfreds_rule_on_thor_state():
    names, changes = name_objects(KITCHEN), StateChanges()
    goal = {"object": "apple", "receptacle": "countertop"}
    state = copy.deepcopy(KITCHEN)
    assert thor_goal_conditions(state, names, changes, "pick_heat_then_place_in_recep", goal) == (1, 3)
    state[0]["parentReceptacles"] = ["Microwave|1"]
    changes.after("CloseObject fridge 1", state, names)  # the apple is not in the fridge: stays as it is
    assert thor_goal_conditions(state, names, changes, "pick_heat_then_place_in_recep", goal) == (0, 3)
    changes.after("ToggleObjectOn microwave 1", state, names)
    assert changes.hot == {"Apple|1"}
    state[0]["parentReceptacles"] = ["CounterTop|1"]
    assert thor_goal_conditions(state, names, changes, "pick_heat_then_place_in_recep", goal) == (3, 3)
    state[0]["parentReceptacles"] = ["Fridge|1"]
    changes.after("CloseObject fridge 1", state, names)
    assert changes.cold == {"Apple|1"} and not changes.hot  # cooling undoes heating, as in the household world


class FakeController:
    """A scripted stand-in for ai2thor's Controller: enough to drive the env's plumbing, not THOR's physics."""

    def __init__(self):
        self.objects = copy.deepcopy(KITCHEN)

    def _event(self, success=True):
        return types.SimpleNamespace(metadata={"objects": self.objects, "lastActionSuccess": success,
                                               "errorMessage": "" if success else "not reachable"})

    def reset(self, scene):
        assert scene == "FloorPlan3"
        self.objects = copy.deepcopy(KITCHEN)
        return self._event()

    def step(self, action, objectId=None, **kwargs):
        target = next((o for o in self.objects if o["objectId"] == objectId), None)
        if action == "PickupObject":
            target["isPickedUp"], target["parentReceptacles"] = True, None
        elif action == "PutObject":
            held = next(o for o in self.objects if o.get("isPickedUp"))
            held["isPickedUp"], held["parentReceptacles"] = False, [objectId]
        return self._event(action != "OpenObject")

    def stop(self):
        pass


def test_the_env_runs_a_household_task_through_the_mapping():
    task = Task(family="household", behavior="pick_and_place_simple", environment="kitchen", scene="kitchen-03",
                split="train", goal={"object": "apple", "receptacle": "countertop"},
                instruction="put an apple on the counter .", steps=(), seed=0)
    env = ThorHouseholdEnv(controller=FakeController())
    observation, info = env.reset(options={"task": task})
    assert info["goal_conditions"] == (1, 1)  # THOR's apple starts on a counter
    observation, *_, info = env.step(observation["candidates"].index("PickupObject apple 1"))
    assert info["goal_conditions"] == (0, 1) and "holding apple 1" in observation["observation"]
    observation, *_, info = env.step(observation["candidates"].index("OpenObject microwave 1"))
    assert "failed : not reachable" in observation["observation"] and info["fails"] == 1
    observation, reward, *_ = env.step(observation["candidates"].index("PutObject counter 1"))
    assert reward == 1.0
    _, reward, terminated, _, info = env.step(observation["candidates"].index("Stop"))
    assert terminated and info["success"] and reward == 1.0
    wrong = Task(**{**task.to_dict(), "goal": {"object": "pear", "receptacle": "countertop"}})
    with pytest.raises(ValueError, match="FloorPlan3 has no pear"):
        env.reset(options={"task": wrong})


def test_without_thor_construction_fails_with_one_message_naming_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ai2thor", None)
    monkeypatch.setitem(sys.modules, "ai2thor.controller", None)
    with pytest.raises(ThorUnavailable, match=r"needs the ai2thor package: pip install 'clsim\[thor\]'"):
        ThorHouseholdEnv()
    fake = types.ModuleType("ai2thor.controller")
    fake.Controller = lambda **kwargs: kwargs
    monkeypatch.setitem(sys.modules, "ai2thor", types.ModuleType("ai2thor"))
    monkeypatch.setitem(sys.modules, "ai2thor.controller", fake)
    monkeypatch.delenv("CLSIM_THOR_EXECUTABLE", raising=False)
    with pytest.raises(ThorUnavailable, match="needs a local THOR build: set CLSIM_THOR_EXECUTABLE"):
        make_controller()
    build = tmp_path / "thor-build"
    build.write_text("")
    assert make_controller(str(build))["local_executable_path"] == str(build)
