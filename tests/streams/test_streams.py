"""Streams: canonical orders, determinism, balance, and no task boundary reaching the learner."""

import dataclasses
import json

import pytest

from clsim.envs.core import Episode
from clsim.learners import LearnerConfig
from clsim.learners.finetune import Finetune
from clsim.streams import Blurry, Stream, get_setup


def test_bad_setup_and_order_are_named_in_the_error(household):
    with pytest.raises(ValueError, match="unknown setup 'task-il'.*behavior-il"):
        get_setup("task-il")
    with pytest.raises(ValueError, match="order must be >= 1.*1..5 fixed.*got 0"):
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
    write_jsonl(Stream(household, setup, 2, seed=3, per_segment=1), tmp_path / "disjoint.jsonl")
    first, second, *_ = (tmp_path / "disjoint.jsonl").read_text().splitlines()
    (tmp_path / "recurs.jsonl").write_text("\n".join([first, second, first]) + "\n")
    recurs = Stream(household, setup, 1, seed=3, per_segment=1, source=tmp_path / "recurs.jsonl")
    assert [(v.label, v.number, v.start, v.end) for v in recurs.visits()] == [
        (json.loads(first)["segment"], 1, 0, 1), (json.loads(second)["segment"], 1, 1, 2),
        (json.loads(first)["segment"], 2, 2, 3)], "a segment that returns is a second visit, not a new segment"
    merged = json.loads(second)
    merged["segment"] = json.loads(first)["segment"] + "+" + merged["segment"]
    (tmp_path / "regroup.jsonl").write_text("\n".join([first, json.dumps(merged)]) + "\n")
    with pytest.raises(ValueError, match="regroup.jsonl: label .* is major in two different periods"):
        Stream(household, setup, 1, seed=3, per_segment=1, source=tmp_path / "regroup.jsonl")
    (tmp_path / "stray.jsonl").write_text(lines[0].replace('"segment": "', '"segment": "x') + "\n")
    with pytest.raises(ValueError, match="was written for another setup: setup behavior-il puts its samples in .*"
                                         "which are not among the file's segments"):
        Stream(household, setup, 1, seed=3, per_segment=1, source=tmp_path / "stray.jsonl")


def test_si_blurry_streams_have_random_period_sizes_and_interleaved_labels(household):
    setup = get_setup("behavior-il")
    disjoint = Stream(household, setup, 1, seed=0, per_segment=6)
    si = Stream(household, setup, 1, seed=0, per_segment=6, blurry=Blurry.parse("si-0-0"))
    assert Blurry.parse("si-10-10") == Blurry(10, 10, stochastic=True) and Blurry.parse("si-0-0").spec == "si-0-0"
    assert si.segments == disjoint.segments, "labels keep the order's sequence"
    assert sorted(t.id for _, t in si.tasks) == sorted(t.id for _, t in disjoint.tasks)
    sizes = [len(labels) for labels in si.periods]
    assert sum(sizes) == 7 and max(sizes) > 1 and len(sizes) > 1, f"uneven periods expected, got {sizes}"
    ends = si.segment_ends()
    position = 0
    for labels in si.periods:  # no minor share: each period holds exactly its own labels' samples, mixed
        name = "+".join(labels)
        arrived = [si.label(t) for segment, t in si.tasks[position : position + 6 * len(labels)]]
        assert {segment for segment, _ in si.tasks[position : position + 6 * len(labels)]} == {name}
        assert sorted(arrived) == sorted(label for label in labels for _ in range(6))
        position += 6 * len(labels)
        assert all(ends[label] == position for label in labels)
        if len(labels) > 1:
            assert arrived != sorted(arrived, key=labels.index), "co-major labels arrive interleaved"
    assert any(Stream(household, setup, 1, seed=seed, per_segment=1, blurry=Blurry.parse("si-0-0")).periods
               != si.periods for seed in range(1, 6)), "the seed draws the boundaries"
    blurry = Stream(household, setup, 1, seed=0, per_segment=6, blurry=Blurry.parse("si-0-50"))
    assert blurry.periods == si.periods, "period sizes depend on the seed, not on N or M"
    home = {label: "+".join(labels) for labels in blurry.periods for label in labels}
    assert sum(home[blurry.label(t)] != segment for segment, t in blurry.tasks) == 7 * 3


def test_si_blurry_run_scores_labels_of_a_merged_period_from_their_first_sample(household, tmp_path):
    from clsim.experiment import RunConfig, run_experiment

    config = RunConfig(setup="environment-il", learner="finetune", blurry="si-0-0", seed=2, per_segment=2,
                       eval_every=4, eval_episodes=1, max_steps=5, random_baseline=True, checkpoint_every=0)
    stream = config.stream()
    assert any(len(labels) > 1 for labels in stream.periods), stream.periods
    summary = run_experiment(config, tmp_path / "run")
    assert summary["segments"] == list(stream.segments)
    assert summary["segment_ends"] == [stream.segment_ends()[s] for s in stream.segments]
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    first = stream.first_seen()
    for record in records:
        assert sorted(record["scores"]) == sorted(s for s in stream.segments if first[s] <= record["samples"])
    assert all(k in summary["metrics"]["seen/sr"] for k in ("a_last", "forgetting", "bwt", "fwt"))


def test_setup_files_define_segments_as_filters_over_task_fields(household, tmp_path):
    import yaml

    definition = {"name": "kitchen-first", "segments": {
        "kitchen_chores": {"environment": "kitchen", "behavior": ["pick_heat_then_place_in_recep",
                                                                  "pick_cool_then_place_in_recep"]},
        "kitchen_rest": {"environment": "kitchen", "behavior": ["pick_and_place_simple", "pick_two_obj_and_place"]},
        "elsewhere": {"environment": ["bedroom", "living_room"]}},
        "orders": [["kitchen_chores", "kitchen_rest", "elsewhere"], ["elsewhere", "kitchen_rest", "kitchen_chores"]]}
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))
    (tmp_path / "mine.json").write_text(json.dumps(definition))
    setup = get_setup(str(tmp_path / "mine.yaml"))
    assert setup == get_setup(str(tmp_path / "mine.json")) and setup.name == "kitchen-first"
    assert setup.segments(household, 2) == ("elsewhere", "kitchen_rest", "kitchen_chores")
    assert sorted(setup.segments(household, 7)) == sorted(definition["segments"])
    stream = Stream(household, setup, 1, seed=0, per_segment=8)
    assert stream.segments == ("kitchen_chores", "kitchen_rest", "elsewhere") and len(stream) == 24
    for segment, task in stream.tasks:
        assert stream.label(task) == segment
        wanted = definition["segments"][segment]
        assert task.environment in wanted["environment"] if isinstance(wanted["environment"], list) \
            else task.environment == wanted["environment"]
    assert {t.behavior for s, t in stream.tasks if s == "kitchen_chores"} == {
        "pick_heat_then_place_in_recep", "pick_cool_then_place_in_recep"}, "balanced over the segment's cells"
    assert set(stream.eval_suites(2)) == set(definition["segments"])


@pytest.mark.parametrize("change, message", [
    ({"segments": {"a": {"room": "kitchen"}}}, "filters on 'room'; filterable task fields: behavior, environment"),
    ({"segments": {"a": {"environment": "garage"}}}, "unknown environment garage; household has: "),
    ({"segments": {"a": {"environment": "kitchen"}, "b": {"behavior": "pick_heat_then_place_in_recep"}}},
     "segments 'a' and 'b' overlap"),
    ({"segments": {"a": {"environment": "bedroom", "behavior": "pick_heat_then_place_in_recep"}}},
     "segment 'a' matches no task household can make"),
    ({"segments": {"a": {"environment": "kitchen"}}, "orders": [["b"]]}, "order 1 \\(b\\) must list every segment"),
    ({"segments": {"a+b": {"environment": "kitchen"}}}, "may not contain '\\+'"),
    ({"segments": {"a": {"environment": "kitchen"}}, "colour": "red"}, "unknown key\\(s\\) colour"),
    ({"segments": []}, "'segments' must map segment names to filters"),
])
def test_bad_setup_files_name_the_bad_value(tmp_path, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(change))
    with pytest.raises(ValueError, match=message):
        get_setup(str(path))


def test_unreadable_setup_files_are_reported(tmp_path):
    (tmp_path / "broken.yaml").write_text("segments: [unclosed\n")
    with pytest.raises(ValueError, match="broken.yaml is not valid YAML"):
        get_setup(str(tmp_path / "broken.yaml"))
    with pytest.raises(ValueError, match="cannot read setup file .*missing.yaml"):
        get_setup(str(tmp_path / "missing.yaml"))
    with pytest.raises(ValueError, match="or a setup file"):
        get_setup("kitchen-first")


def test_a_run_knows_its_stream_length_without_generating_the_stream(tmp_path):
    from clsim.experiment import RunConfig
    from clsim.streams.stream import write_jsonl

    for settings in ({}, {"blurry": "10-10"}, {"blurry": "si-20-30", "setup": "environment-il", "order": 7},
                     {"per_segment": 3, "setup": "environment-il"}):
        config = RunConfig(**settings)
        assert config.stream_length() == len(config.stream()), settings
    write_jsonl(RunConfig(per_segment=2).stream(), tmp_path / "s.jsonl")
    assert RunConfig(stream_file=str(tmp_path / "s.jsonl")).stream_length() == 14


def test_orders_1_to_5_are_cl_alfreds_own(household):
    """CL-ALFRED's embodied_split files rand1..rand5 (Behavior-IL task types, Environment-IL scene types)."""
    short = {"look": "look_at_obj_in_light", "heat": "pick_heat_then_place_in_recep", "two_obj": "pick_two_obj_and_place",
             "cool": "pick_cool_then_place_in_recep", "simple": "pick_and_place_simple",
             "clean": "pick_clean_then_place_in_recep", "movable": "pick_and_place_with_movable_recep"}
    behavior = ["look heat two_obj cool simple clean movable", "simple two_obj clean heat look movable cool",
                "simple look movable clean two_obj cool heat", "movable two_obj look simple heat cool clean",
                "clean simple movable heat cool two_obj look"]
    environment = ["bedroom bathroom living_room kitchen", "bathroom bedroom kitchen living_room",
                   "bedroom living_room bathroom kitchen", "kitchen bathroom living_room bedroom",
                   "living_room bathroom kitchen bedroom"]
    for order, (b, e) in enumerate(zip(behavior, environment), 1):
        assert get_setup("behavior-il").segments(household, order) == tuple(short[s] for s in b.split())
        assert get_setup("environment-il").segments(household, order) == tuple(e.split())


def test_a_recurring_segment_is_a_second_visit_with_new_demonstrations(household):
    once, twice = (Stream(household, get_setup(name), 2, seed=1, per_segment=3)
                   for name in ("behavior-il", "behavior-il-recurring"))
    assert twice.segments == once.segments, "a recurrence adds no segment"
    assert twice.tasks[: len(once)] == once.tasks, "up to the recurrence, the stream is Behavior-IL's"
    first = once.segments[0]
    assert [s for s, _ in twice.tasks[len(once):]] == [first] * 3
    assert {t.id for _, t in twice.tasks[len(once):]}.isdisjoint(t.id for s, t in once.tasks if s == first)
    assert twice.period_ends() == [3 * k for k in range(1, 9)]
    assert [(v.label, v.number) for v in twice.visits()][-1] == (first, 2)
    assert twice.segment_ends()[first] == 24, "a segment's end is its last visit's"
    with pytest.raises(ValueError, match="has recurring segments .*blurry streams .* cannot recur"):
        Stream(household, get_setup("behavior-il-recurring"), 1, seed=1, per_segment=3, blurry=Blurry(0, 10))


def test_setup_files_may_let_a_segment_recur_but_not_twice_in_a_row(household, tmp_path):
    segments = {"kitchen": {"environment": "kitchen"}, "bathroom": {"environment": "bathroom"}}
    (tmp_path / "cycle.json").write_text(json.dumps({"segments": segments,
                                                     "orders": [["kitchen", "bathroom", "kitchen"]]}))
    stream = Stream(household, get_setup(str(tmp_path / "cycle.json")), 1, seed=0, per_segment=2)
    assert stream.segments == ("kitchen", "bathroom") and len(stream) == 6
    (tmp_path / "twice.json").write_text(json.dumps({"segments": segments,
                                                     "orders": [["kitchen", "kitchen", "bathroom"]]}))
    with pytest.raises(ValueError, match="at least once, never twice in a row"):
        get_setup(str(tmp_path / "twice.json"))


def test_a_run_on_a_recurring_stream_is_scored_at_every_period_end_and_per_visit(tmp_path):
    from clsim.experiment import RunConfig, run_experiment

    config = RunConfig(setup="behavior-il-recurring", learner="finetune", per_segment=1, eval_every=100,
                       eval_episodes=1, max_steps=5, random_baseline=True, checkpoint_every=0)
    summary = run_experiment(config, tmp_path / "run")
    assert summary["samples"] == list(range(1, 9)), "an eval point at each of the 8 periods' ends"
    assert [(v["label"], v["visit"]) for v in summary["visits"]][-1] == ("look_at_obj_in_light", 2)
    assert summary["segment_starts"][0] == 0 and summary["segment_ends"][0] == 8
    assert "relearned" in summary["metrics"]["seen/sr"] and "fwt" in summary["metrics"]["seen/sr"]


def test_feedback_runs_refuse_recurring_setups():
    from clsim.interactive.experiment import FeedbackRunConfig

    with pytest.raises(ValueError, match="recurring segment .* arrive once and stay"):
        FeedbackRunConfig(setup="behavior-il-recurring").validate()
