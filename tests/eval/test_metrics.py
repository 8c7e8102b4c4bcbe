"""Episode and stream metrics on hand-computed cases."""

import json
import math

import numpy as np
import pytest

from clsim.eval.episodes import EpisodeResult, score
from clsim.eval.stream_metrics import stream_metrics


def test_episode_scores_sr_gc_and_path_length_weighting():
    results = [
        EpisodeResult("a", True, 2, 2, steps=20, expert_steps=10),  # success, twice the expert path
        EpisodeResult("b", False, 1, 3, steps=5, expert_steps=30),
    ]
    s = score(results)
    assert s.sr == 0.5
    assert s.gc == pytest.approx(3 / 5)  # summed over episodes
    assert s.plw_sr == pytest.approx((1 * 0.5 * 10 + 0) / 40)
    assert s.plw_gc == pytest.approx((1 * 0.5 * 10 + (1 / 3) * 1.0 * 30) / 40)
    with pytest.raises(ValueError):
        score([])


def test_stream_metrics_on_a_hand_computed_matrix():
    nan = math.nan
    # eval points at 10, 20, 30 samples; segment 0 ends at 10, 1 at 20, 2 at 30
    a = np.array([[0.8, nan, nan],
                  [0.5, 0.6, nan],
                  [0.4, 0.3, 0.9]])
    m = stream_metrics(a, samples=[10, 20, 30], segment_end_points=[0, 1, 2])
    assert m.a_last == pytest.approx((0.4 + 0.3 + 0.9) / 3)
    row_means = [0.8, 0.55, (0.4 + 0.3 + 0.9) / 3]
    assert m.a_avg == pytest.approx(sum(row_means) / 3)
    assert m.a_auc == pytest.approx(sum(r * 10 for r in row_means) / 30)
    assert m.forgetting_per_segment[0] == pytest.approx(0.4)
    assert m.forgetting_per_segment[1] == pytest.approx(0.3)
    assert math.isnan(m.forgetting_per_segment[2])
    assert m.forgetting == pytest.approx(0.35)
    assert m.bwt == pytest.approx(((0.4 - 0.8) + (0.3 - 0.6)) / 2)
    assert m.learning_accuracy == pytest.approx((0.8 + 0.6 + 0.9) / 3)  # each segment at its own end


def test_forgetting_leaves_out_the_last_segment_even_when_it_was_evaluated_mid_way():
    nan = math.nan
    # eval points at 10, 20, 30, 40 samples; segment 0 ends at point 1, segment 1 at point 3 (the end)
    a = np.array([[0.5, nan],
                  [0.6, nan],
                  [0.4, 0.9],
                  [0.3, 0.5]])
    m = stream_metrics(a, samples=[10, 20, 30, 40], segment_end_points=[1, 3])
    assert m.forgetting_per_segment[0] == pytest.approx(0.6 - 0.3)
    assert math.isnan(m.forgetting_per_segment[1]), "0.9 -> 0.5 within its own segment is not forgetting"
    assert m.forgetting == pytest.approx(0.3)
    assert m.bwt == pytest.approx(0.3 - 0.6)
    assert m.learning_accuracy == pytest.approx((0.6 + 0.5) / 2), "the last segment counts: it was learned"


def test_stream_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="does not match"):
        stream_metrics(np.zeros((2, 3)), samples=[1, 2, 3], segment_end_points=[0, 1, 2])


def test_forward_transfer_is_the_next_segments_score_before_it_starts_above_random():
    from clsim.eval.summary import SCORES, SPLITS, add_forward_transfer

    def scores(sr):
        return {split: {k: sr for k in SCORES} for split in SPLITS}

    # segments a, b, c; eval points at the ends of a and b (0, 1) and at the end (2)
    records = [{"scores": {"a": scores(0.5)}, "upcoming": {"b": scores(0.3)}},
               {"scores": {"a": scores(0.4), "b": scores(0.6)}, "upcoming": {"c": scores(0.2)}},
               {"scores": {"a": scores(0.4), "b": scores(0.5), "c": scores(0.7)}, "upcoming": {}}]
    baseline = {split: {k: {"a": 0.0, "b": 0.1, "c": 0.05} for k in SCORES} for split in SPLITS}
    summary = {"segments": ["a", "b", "c"], "samples": [10, 20, 30], "segment_ends": [10, 20, 30],
               "segment_starts": [0, 10, 20],
               "metrics": {f"{s}/{k}": {} for s in SPLITS for k in SCORES}}
    add_forward_transfer(summary, records, baseline)
    assert summary["metrics"]["seen/sr"]["fwt"] == pytest.approx(((0.3 - 0.1) + (0.2 - 0.05)) / 2)


def test_a_recurring_segment_is_scored_per_visit_and_at_its_last_visit():
    from clsim.eval.summary import recurrence_metrics, summarise
    from clsim.streams.stream import Visit

    nan = math.nan
    # segments a, b; a returns: a (0-10), b (10-20), a again (20-30); eval points at 10, 20, 30
    visits = [Visit("a", 1, 0, 10), Visit("b", 1, 10, 20), Visit("a", 2, 20, 30)]
    a = np.array([[0.8, nan],
                  [0.3, 0.6],
                  [0.7, 0.4]])
    records = [{"samples": n, "scores": {s: {split: {"sr": a[i, j]} for split in ("seen", "unseen")}
                                         for j, s in enumerate("ab") if not math.isnan(a[i, j])}}
               for i, n in enumerate([10, 20, 30])]
    summary = summarise(records, visits, [10, 20, 30])
    assert summary["segments"] == ["a", "b"] and summary["segment_ends"] == [30, 20]
    assert summary["segment_starts"] == [0, 10] and summary["period_ends"] == [10, 20, 30]
    per_visit = [v["seen/sr"] for v in summary["visits"]]
    assert per_visit[0] == {"before": pytest.approx(nan, nan_ok=True), "learned": 0.8, "forgotten": pytest.approx(0.5)}
    assert per_visit[1] == {"before": pytest.approx(nan, nan_ok=True), "learned": 0.6, "forgotten": pytest.approx(0.2)}
    assert per_visit[2]["before"] == 0.3 and per_visit[2]["learned"] == 0.7 and math.isnan(per_visit[2]["forgotten"])
    m = summary["metrics"]["seen/sr"]
    assert m["learning_accuracy"] == pytest.approx((0.7 + 0.6) / 2), "a at the end of its last visit"
    assert m["isolated_forgetting"] == pytest.approx((0.5 + 0.2) / 2)
    assert m["retained_at_return"] == pytest.approx(0.3) and m["relearned"] == pytest.approx(0.4)
    assert math.isnan(m["forgetting_per_segment"][0]), "a's last visit ends the stream: no time to forget it"
    assert m["forgetting_per_segment"][1] == pytest.approx(0.6 - 0.4)
    assert recurrence_metrics([], [])["relearned"] != recurrence_metrics([], [])["relearned"], "NaN without visits"


def test_a_stream_without_recurrences_has_no_visit_entries():
    from clsim.eval.summary import summarise
    from clsim.streams.stream import Visit

    records = [{"samples": 10, "scores": {"a": {"seen": {"sr": 0.5}, "unseen": {"sr": 0.5}}}}]
    summary = summarise(records, [Visit("a", 1, 0, 10)], [10])
    assert "visits" not in summary and "relearned" not in summary["metrics"]["seen/sr"]


def test_negative_flip_rate_is_the_share_of_episodes_solved_before_and_failed_now():
    from clsim.eval.summary import negative_flip_rates

    def point(**suites):
        return {"scores": {s: {"seen": {"solved": bits}} for s, bits in suites.items()}}

    records = [point(a="1100"),
               point(a="1010", b="11"),  # a: episode 2 flips 1 -> 0 (episode 3 flips up); b is new: not compared
               point(a="0010", b="01"),  # a: episode 1 flips; b: episode 1 flips
               {"scores": {"a": {"seen": {"sr": 0.5}}}}]  # written before per-episode results: not comparable
    rates = negative_flip_rates(records, "seen")
    assert math.isnan(rates[0]) and rates[1] == pytest.approx(1 / 4) and rates[2] == pytest.approx(2 / 6)
    assert math.isnan(rates[3])


def test_a_run_reports_its_negative_flip_rate_from_per_episode_results(tmp_path):
    from clsim.experiment import RunConfig, run_experiment

    summary = run_experiment(RunConfig(learner="finetune", per_segment=2, eval_every=1, eval_episodes=2, max_steps=5,
                                       random_baseline=False, checkpoint_every=0), tmp_path / "run")
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    first = records[0]["scores"]["look_at_obj_in_light"]["seen"]
    assert len(first["solved"]) == 2 and first["sr"] == first["solved"].count("1") / 2
    from clsim.eval.summary import negative_flip_rates

    flips = summary["negative_flips"]["seen"]
    assert len(flips) == len(records) == 14 and math.isnan(flips[0])
    assert flips == pytest.approx(negative_flip_rates(records, "seen"), nan_ok=True)
    assert summary["metrics"]["seen/sr"]["negative_flip_rate"] == pytest.approx(np.nanmean(flips[1:]))
