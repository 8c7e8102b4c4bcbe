"""The compute meter: FLOPs counted on a fixed sample and extrapolated, learning and evaluation timed apart."""

import torch

from clsim.eval.compute import EVAL_SAMPLE, TRAIN_SAMPLE, ComputeMeter, episodes_in


def matmul(a: int, b: int, c: int):
    """A job of 2abc FLOPs (torch counts a multiply-add as two)."""
    return lambda: torch.ones(a, b) @ torch.ones(b, c)


def test_training_flops_are_the_counted_steps_mean_times_the_steps():
    steps = 4 * TRAIN_SAMPLE
    meter = ComputeMeter(seed=0)
    for position in range(steps):
        meter.train(position, matmul(4, 5, 6) if position % 2 else matmul(2, 5, 6))  # 240 or 120 FLOPs
    counted = [240 if p % 2 else 120 for p in range(steps) if p in _sampled(meter, steps)]
    assert 0 < len(counted) < steps and meter.counted_steps == counted
    assert meter.summary()["train_flops"] == float(f"{sum(counted) / len(counted) * steps:.4g}")


def _sampled(meter: ComputeMeter, steps: int) -> set[int]:
    import zlib

    return {p for p in range(steps) if zlib.crc32(f"{meter.seed}/{p}".encode()) % TRAIN_SAMPLE == 0}


def test_a_run_too_short_to_sample_says_so_and_eval_flops_scale_by_episodes():
    meter = ComputeMeter(seed=3)
    positions = [p for p in range(3) if p not in _sampled(meter, 3)]
    for position in positions:
        meter.train(position, matmul(1, 1, 1))
    assert meter.summary()["train_flops"] is None and meter.steps == len(positions)

    def point(episodes: int):
        return lambda: (matmul(10, 10, 10)(), {"scores": {"a": {"seen": {"episodes": episodes}}}})[1]

    for k in range(EVAL_SAMPLE + 1):  # points 0 and EVAL_SAMPLE are counted: 2000 FLOPs each, for 4 episodes
        meter.evaluate(point(4 if k % EVAL_SAMPLE == 0 else 6))
    total = 2 * 4 + (EVAL_SAMPLE - 1) * 6
    assert meter.eval_episodes == total and meter.summary()["eval_flops"] == 2 * 2000 / 8 * total
    assert meter.train_seconds > 0 and meter.eval_seconds > 0


def test_episodes_of_a_record_count_seen_and_upcoming_suites():
    record = {"scores": {"a": {"seen": {"episodes": 3}, "unseen": {"episodes": 3}}},
              "upcoming": {"b": {"seen": {"episodes": 2}}}}
    assert episodes_in(record) == 8


def test_a_resumed_meter_continues_the_count():
    meter = ComputeMeter(seed=1)
    meter.train(0, matmul(1, 2, 3))
    meter.evaluate(lambda: {"scores": {"a": {"seen": {"episodes": 1}}}})
    again = ComputeMeter(seed=1)
    again.load_state_dict(meter.state_dict())
    assert again == meter
