"""Streams: canonical orders, determinism, balance, and no task boundary reaching the learner."""

import dataclasses

import pytest

from clsim.envs.core import Episode
from clsim.learners import LearnerConfig
from clsim.learners.finetune import Finetune
from clsim.streams import Blurry, Stream, get_setup


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
    with pytest.raises(ValueError, match="order must be >= 1.*1..5 canonical.*got 0"):
        get_setup("behavior-il").segments(household, 0)


def test_orders_beyond_the_canonical_five_are_seeded_permutations(household):
    setup = get_setup("behavior-il")
    canonical = {setup.segments(household, o) for o in range(1, 6)}
    extra = [setup.segments(household, o) for o in (6, 7, 8)]
    assert all(sorted(o) == sorted(setup.segments(household, 1)) for o in extra)
    assert len(set(extra)) == 3 and not canonical & set(extra)
    assert setup.segments(household, 7) == extra[1], "the same order number gives the same permutation"


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


def labels_by_segment(stream):
    return {s: [stream.label(t) for seg, t in stream.tasks if seg == s] for s in stream.segments}


def test_blurry_streams_deal_minor_shares_of_blurry_labels_to_other_segments(household):
    setup = get_setup("environment-il")
    disjoint = Stream(household, setup, 1, seed=0, per_segment=8)
    assert Stream(household, setup, 1, seed=0, per_segment=8, blurry=Blurry(0, 0)).tasks == disjoint.tasks
    assert Stream(household, setup, 1, seed=0, per_segment=8, blurry=Blurry(100, 50)).tasks == disjoint.tasks
    blurry = Stream(household, setup, 1, seed=0, per_segment=8, blurry=Blurry(50, 25))
    assert sorted(t.id for _, t in blurry.tasks) == sorted(t.id for _, t in disjoint.tasks), "same samples, moved"
    by_segment = labels_by_segment(blurry)
    strays = {label: sum(labels.count(label) for s, labels in by_segment.items() if s != label)
              for label in blurry.segments}
    assert sorted(strays.values()) == [0, 0, 2, 2], "2 labels stay disjoint; the others lose 25% of 8 samples"
    for segment, labels in by_segment.items():
        assert labels.count(segment) == (8 if strays[segment] == 0 else 6)
    assert sum(len(v) for v in by_segment.values()) == 32 and blurry.segment_ends()[blurry.segments[-1]] == 32
    early = [label for label, first in blurry.first_seen().items()
             if first <= disjoint.first_seen()[label] - 8]
    assert early, "some blurry label is met at least a segment before its own"
    again = Stream(household, setup, 1, seed=0, per_segment=8, blurry=Blurry(50, 25))
    assert again.tasks == blurry.tasks


def test_blurry_specs_are_checked(household):
    assert Blurry.parse("10-10") == Blurry(10, 10)
    with pytest.raises(ValueError, match="blurry must be N-M.*got '10'"):
        Blurry.parse("10")
    with pytest.raises(ValueError, match="minor percentage must be in 0..100, got 200"):
        Blurry.parse("10-200")


def test_a_stream_exported_as_jsonl_reads_back_identically(household, tmp_path):
    from clsim.streams.stream import write_jsonl

    setup = get_setup("behavior-il")
    original = Stream(household, setup, 2, seed=3, per_segment=3, blurry=Blurry(0, 34))
    write_jsonl(original, tmp_path / "stream.jsonl")
    lines = (tmp_path / "stream.jsonl").read_text().splitlines()
    assert len(lines) == len(original) == 21
    loaded = Stream(household, setup, 1, seed=3, per_segment=1, source=tmp_path / "stream.jsonl")
    assert loaded.tasks == original.tasks and loaded.segments == original.segments
    assert loaded.segment_ends() == original.segment_ends() and loaded.first_seen() == original.first_seen()
    (tmp_path / "bad.jsonl").write_text(lines[0] + "\n{ not json\n")
    with pytest.raises(ValueError, match="bad.jsonl:2: not a stream sample"):
        Stream(household, setup, 1, seed=3, per_segment=1, source=tmp_path / "bad.jsonl")
    (tmp_path / "stray.jsonl").write_text(lines[0].replace('"segment": "', '"segment": "x') + "\n")
    with pytest.raises(ValueError, match="samples of .* but no segment of that name"):
        Stream(household, setup, 1, seed=3, per_segment=1, source=tmp_path / "stray.jsonl")
