"""The compute meter: FLOPs counted on a fixed sample and extrapolated, learning and evaluation timed apart."""

import torch

from clsim.eval.compute import (
    EVAL_SAMPLE,
    MIN_COUNTED_STEPS,
    TRAIN_SAMPLE,
    ComputeMeter,
    episodes_in,
    sampled_positions,
)


def matmul(a: int, b: int, c: int):
    """A job of 2abc FLOPs (torch counts a multiply-add as two)."""
    return lambda: torch.ones(a, b) @ torch.ones(b, c)


def test_training_flops_are_the_counted_steps_mean_times_the_steps():
    steps = 4 * TRAIN_SAMPLE
    meter = ComputeMeter(seed=0, run_steps=steps)
    for position in range(steps):
        meter.train(position, matmul(4, 5, 6) if position % 2 else matmul(2, 5, 6))  # 240 or 120 FLOPs
    counted = [240 if p % 2 else 120 for p in sorted(meter.sampled)]
    assert len(counted) == MIN_COUNTED_STEPS and meter.counted_steps == counted
    assert meter.summary()["train_flops"] == float(f"{sum(counted) / len(counted) * steps:.4g}")
    assert "8 of 256 steps" in meter.summary()["flops_method"] and meter.train_seconds > 0


def test_the_sample_has_a_fixed_size_drawn_by_the_seed():
    """A learner updates once its stream batch is full: with 1-in-64 odds a 72-step run counted one or two steps,
    most often idle ones, and reported 0 training FLOPs after 126 updates."""
    assert len(sampled_positions(0, 560)) == 9 and len(sampled_positions(0, 72)) == MIN_COUNTED_STEPS
    assert sampled_positions(0, 5) == frozenset(range(5))
    assert sampled_positions(1, 72) != sampled_positions(0, 72)
    meter = ComputeMeter(seed=0, run_steps=72)
    for position in range(72):  # every 4th step updates: 240 FLOPs, the others none
        meter.train(position, matmul(4, 5, 6) if position % 4 == 3 else matmul(0, 5, 6))
    counted = [240 if p % 4 == 3 else 0 for p in sorted(meter.sampled)]
    assert meter.counted_steps == counted
    assert meter.summary()["train_flops"] == float(f"{sum(counted) / len(counted) * 72:.4g}")


def test_a_run_without_counted_steps_says_so_and_eval_flops_scale_by_episodes():
    meter = ComputeMeter(seed=3, run_steps=0)
    assert meter.summary()["train_flops"] is None

    def point(episodes: int):
        return lambda: (matmul(10, 10, 10)(), {"scores": {"a": {"seen": {"episodes": episodes}}}})[1]

    for k in range(EVAL_SAMPLE + 1):  # points 0 and EVAL_SAMPLE are counted: 2000 FLOPs each, for 4 episodes
        meter.evaluate(point(4 if k % EVAL_SAMPLE == 0 else 6))
    total = 2 * 4 + (EVAL_SAMPLE - 1) * 6
    assert meter.eval_episodes == total and meter.summary()["eval_flops"] == 2 * 2000 / 8 * total
    assert meter.eval_seconds > 0 and meter.train_seconds == 0


def test_episodes_of_a_record_count_seen_and_upcoming_suites():
    record = {"scores": {"a": {"seen": {"episodes": 3}, "unseen": {"episodes": 3}}},
              "upcoming": {"b": {"seen": {"episodes": 2}}}}
    assert episodes_in(record) == 8


def test_a_resumed_meter_continues_the_count():
    meter = ComputeMeter(seed=1, run_steps=10)
    meter.train(0, matmul(1, 2, 3))
    meter.evaluate(lambda: {"scores": {"a": {"seen": {"episodes": 1}}}})
    again = ComputeMeter(seed=1, run_steps=10)
    again.load_state_dict(meter.state_dict())
    assert again == meter
