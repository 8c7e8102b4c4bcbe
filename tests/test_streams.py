"""Streams: canonical orders, determinism, balance, and no task boundary reaching the learner."""

import dataclasses

import pytest

from clsim.envs.core import Episode
from clsim.learners import LearnerConfig
from clsim.learners.finetune import Finetune
from clsim.streams import Stream, get_setup


def test_canonical_first_orders_match_cl_alfred(household):
    assert get_setup("behavior-il").segments(household, 1) == (
        "look_at_obj_in_light", "pick_heat_then_place_in_recep", "pick_two_obj_and_place",
        "pick_cool_then_place_in_recep", "pick_and_place_simple", "pick_clean_then_place_in_recep",
        "pick_and_place_with_movable_recep")
    assert get_setup("environment-il").segments(household, 1) == ("bedroom", "bathroom", "living_room", "kitchen")
    for name in ("behavior-il", "environment-il"):
        setup = get_setup(name)
        orders = [setup.segments(household, o) for o in range(1, 6)]
        assert len(set(orders)) == 5 and all(sorted(o) == sorted(orders[0]) for o in orders)


def test_bad_setup_and_order_are_named_in_the_error(household):
    with pytest.raises(ValueError, match="unknown setup 'task-il'.*behavior-il"):
        get_setup("task-il")
    with pytest.raises(ValueError, match="order must be in 1..5.*got 6"):
        get_setup("behavior-il").segments(household, 6)


def test_same_seed_same_stream_other_seed_other_stream(household):
    setup = get_setup("environment-il")
    a = [t.id for _, t in Stream(household, setup, 2, seed=4, per_segment=6).tasks]
    b = [t.id for _, t in Stream(household, setup, 2, seed=4, per_segment=6).tasks]
    c = [t.id for _, t in Stream(household, setup, 2, seed=5, per_segment=6).tasks]
    assert a == b and a != c


def test_segments_hold_their_own_tasks_balanced(household):
    stream = Stream(household, get_setup("environment-il"), 1, seed=0, per_segment=12)
    for segment in stream.segments:
        tasks = [t for s, t in stream.tasks if s == segment]
        assert len(tasks) == 12 and {t.environment for t in tasks} == {segment}
        behaviors = [t.behavior for t in tasks]
        counts = [behaviors.count(b) for b in set(behaviors)]
        assert max(counts) - min(counts) <= 1, "task types balanced within a scene type"
    behavior_stream = Stream(household, get_setup("behavior-il"), 1, seed=0, per_segment=4)
    assert {t.behavior for s, t in behavior_stream.tasks if s == "pick_and_place_simple"} == {"pick_and_place_simple"}
    assert {t.environment for s, t in behavior_stream.tasks if s == "pick_and_place_simple"} == {
        "kitchen", "living_room", "bedroom", "bathroom"}


def test_eval_suites_use_seen_and_unseen_layouts_disjoint_from_training(household):
    stream = Stream(household, get_setup("behavior-il"), 1, seed=0, per_segment=3)
    suites = stream.eval_suites(3)
    train_ids = {t.id for _, t in stream.tasks}
    for segment, by_split in suites.items():
        assert {t.behavior for t in by_split["seen"] + by_split["unseen"]} == {segment}
        assert not train_ids & {t.id for t in by_split["seen"]}
        assert all(int(t.scene[-2:]) >= 26 for t in by_split["unseen"])
        assert all(int(t.scene[-2:]) < 26 for t in by_split["seen"])


class Recorder(Finetune):
    """A learner that records what it is given instead of training."""

    name = "recorder-test"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received = []

    def observe(self, episodes):
        self.received.append(list(episodes))


def test_learner_receives_episodes_without_any_boundary_or_label(household):
    import torch

    stream = Stream(household, get_setup("behavior-il"), 1, seed=0, per_segment=2)
    learner = Recorder(torch.nn.Linear(1, 1), LearnerConfig())
    for item in stream:
        learner.observe([item.demonstration.episode()])
    fields = {f.name for f in dataclasses.fields(Episode)}
    assert fields == {"uid", "instruction", "steps"}
    assert all(len(chunk) == 1 and isinstance(chunk[0], Episode) for chunk in learner.received)
    assert len(learner.received) == len(stream)
