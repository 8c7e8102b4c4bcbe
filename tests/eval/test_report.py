"""clsim report: runs grouped by setup, learner and settings, mean ± 95 % CI, paired differences, files and errors."""

import csv
import json
import math

from conftest import text, train
from typer.testing import CliRunner

from clsim.cli.app import app


def test_report_averages_seeds_of_the_same_settings_and_keeps_other_settings_apart(tmp_path):
    for name, extra in [("ft-s0", ["--learner", "finetune", "--seed", "0"]),
                        ("ft-s1", ["--learner", "finetune", "--seed", "1"]),
                        ("ft-mem", ["--learner", "finetune", "--seed", "0", "--memory-size", "3"]),
                        ("er-s0", ["--learner", "er", "--seed", "0"])]:
        assert train(tmp_path, name, *extra).exit_code == 0
    runs = [str(tmp_path / n) for n in ("ft-s0", "ft-s1", "ft-mem", "er-s0")]
    result = CliRunner().invoke(app, ["report", *runs, "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert "Learner comparison" in text(result)
    rows = list(csv.DictReader((tmp_path / "report" / "runs.csv").open()))
    assert [r["learner"] for r in rows] == ["finetune", "finetune", "finetune", "er"]
    assert rows[0]["settings"] == rows[1]["settings"] != rows[2]["settings"]
    report, _, pairs = (tmp_path / "report" / "report.md").read_text().partition("## Paired differences")
    lines = report.splitlines()
    table = [line.split(" | ") for line in lines if line.startswith("| environment-il")]
    assert [(cells[1], cells[3]) for cells in table] == [("finetune", "2"), ("finetune", "1"), ("er", "1")]
    assert "| finetune − er | 1 |" in pairs, "finetune and er share seed 0 with the same settings"
    values = [100 * json.loads((tmp_path / n / "summary.json").read_text())["metrics"]["seen/gc"]["a_last"]
              for n in ("ft-s0", "ft-s1")]
    mean, ci = sum(values) / 2, 12.706 * abs(values[0] - values[1]) / 2  # t(0.975, 1 dof) x s.e. of two values
    column = lines[4].split(" | ").index("GC A_last")
    assert table[0][column] == f"{mean:.1f} ± {ci:.1f}"
    assert f"{mean:.1f} ± {ci:.1f}" in text(result), "a table sent to a pipe keeps its numbers whole"
    assert "finetune − er" in text(result) and "Paired differences" in (tmp_path / "report" / "report.md").read_text()
    assert math.isclose(float(rows[0]["GC A_last"]), values[0], abs_tol=1e-3)
    for plot in ("comparison.png", "sr_over_stream.png", "forgetting.png"):
        assert (tmp_path / "report" / plot).stat().st_size > 1000, plot
    cost = json.loads((tmp_path / "ft-s0" / "summary.json").read_text())["cost"]
    assert float(rows[0]["eval_flops"]) == cost["eval_flops"] > 0 and "train_flops" in rows[0]


def test_report_shows_learning_accuracy_and_reads_runs_written_before_it(tmp_path):
    for name in ("new", "old"):
        assert train(tmp_path, name, "--learner", "finetune", "--seed", "1" if name == "old" else "0").exit_code == 0
    old = tmp_path / "old" / "summary.json"
    summary = json.loads(old.read_text())
    for metrics in summary["metrics"].values():
        del metrics["learning_accuracy"]  # as clsim wrote summaries before it reported LA
    old.write_text(json.dumps(summary))
    la = json.loads((tmp_path / "new" / "summary.json").read_text())["metrics"]["seen/sr"]["learning_accuracy"]
    result = CliRunner().invoke(app, ["report", str(tmp_path / "new"), str(tmp_path / "old"),
                                      "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    new_row, old_row = csv.DictReader((tmp_path / "report" / "runs.csv").open())
    assert math.isclose(float(new_row["SR LA"]), 100 * la, abs_tol=1e-3)
    assert old_row["SR LA"] == "", "a run written before LA was reported has none, not a made-up one"
    lines = (tmp_path / "report" / "report.md").read_text().splitlines()
    group = next(line.split(" | ") for line in lines if line.startswith("| environment-il"))
    assert group[lines[4].split(" | ").index("SR LA")] == "—", "a group is not averaged over the runs that have LA"
    assert (tmp_path / "report" / "comparison.png").stat().st_size > 1000


def test_report_refuses_what_is_not_a_finished_run(tmp_path):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text("{}")
    result = CliRunner().invoke(app, ["report", str(unfinished), "--out", str(tmp_path / "report")])
    assert result.exit_code == 2
    assert "is unfinished (no summary.json); left out" in text(result) and "no finished run to report" in text(result)
    assert not (tmp_path / "report").exists()


def test_eval_scores_the_final_weights_on_larger_suites_without_touching_the_run(tmp_path):
    assert train(tmp_path, "run", "--learner", "er").exit_code == 0
    run = tmp_path / "run"
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    result = CliRunner().invoke(app, ["eval", str(run), "--episodes", "3"])
    assert result.exit_code == 0, result.output
    assert "mean" in text(result)
    saved = json.loads((run / "eval-3.json").read_text())
    assert saved["episodes_per_suite"] == 3
    assert sorted(saved["segments"]) == ["bathroom", "bedroom", "kitchen", "living_room"]
    sr = [saved["segments"][s]["seen"]["sr"] for s in saved["segments"]]
    assert saved["mean"]["seen/sr"] == sum(sr) / 4
    assert all(v in (0.0, 1 / 3, 2 / 3, 1.0) for v in sr), "3 tasks per suite"
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != "eval-3.json"} == before
    assert CliRunner().invoke(app, ["eval", str(run), "--episodes", "3", "--force"]).exit_code == 0
    assert json.loads((run / "eval-3.json").read_text()) == saved, "same weights, same suites, same numbers"


def test_eval_refuses_a_directory_without_final_weights_and_bad_sizes(tmp_path):
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2 and "is not a finished clsim run" in text(result)
    assert train(tmp_path, "run").exit_code == 0
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "run"), "--episodes", "0"])
    assert result.exit_code == 2 and "episodes must be >= 1, got 0" in text(result)


def test_a_run_written_before_agents_had_names_is_still_read(tmp_path):
    from clsim.experiment import RunConfig

    old = {"setup": "behavior-il", "learner": "cama", "agent": {"class": "LMPolicy", "config": {}, "vocabulary": []}}
    assert RunConfig.from_dict(old).agent == "lm-text"
    before_grounded = {"setup": "behavior-il", "learner": "cama", "agent": "lm", "agent_spec": {"class": "LMPolicy"}}
    assert RunConfig.from_dict(before_grounded).agent == "lm-text", "resuming it rebuilds the agent it trained"
    assert RunConfig.from_dict({**before_grounded, "agent_spec": {"class": "GroundedPolicy"}}).agent == "lm"


def _row(learner, seed, a_last, order=1, settings="abc123", train_flops=None):
    from pathlib import Path

    from clsim.eval.report import RunRow

    return RunRow(Path(f"{learner}-{seed}"), "behavior-il", learner, settings, order, seed, {"SR A_last": a_last},
                  1.0, None, {0: a_last}, {}, train_flops)


def test_the_report_plots_final_success_against_training_compute(tmp_path):
    from clsim.eval.report import write_report

    write_report([_row("finetune", 0, 15.0, train_flops=2e12), _row("er", 0, 45.0, train_flops=6e12)], tmp_path)
    assert (tmp_path / "a_last_vs_train_flops.png").stat().st_size > 1000
    write_report([_row("finetune", 0, 15.0)], tmp_path / "uncounted")  # runs without FLOPs: no such plot
    assert not (tmp_path / "uncounted" / "a_last_vs_train_flops.png").exists()


def test_paired_differences_match_runs_by_seed_and_order_and_flag_noise():
    from clsim.eval.report import mean_ci, paired

    rows = [_row("finetune", 0, 10.0), _row("finetune", 1, 30.0), _row("finetune", 2, 20.0),
            _row("er", 2, 41.0), _row("er", 0, 30.0), _row("er", 1, 52.0),  # er 20-22 points above on each seed
            _row("der++", 0, 12.0), _row("der++", 1, 28.0), _row("der++", 2, 21.0),
            _row("cama", 0, 99.0, settings="other")]  # other settings: never compared
    pairs = {(p.a, p.b): p for p in paired(rows)}
    assert set(pairs) == {("finetune", "er"), ("finetune", "der++"), ("er", "der++")}
    mean, ci = pairs[("finetune", "er")].differences["SR A_last"]
    assert (round(mean, 6), round(ci, 3)) == (-21.0, round(4.303 * (1 / 3) ** 0.5, 3)), "differences 20, 22, 21"
    assert not pairs[("finetune", "er")].within_noise("SR A_last")
    assert pairs[("finetune", "der++")].within_noise("SR A_last"), "-2, +2, -1: the interval contains 0"
    unpaired_mean, unpaired_ci = mean_ci([10.0, 30.0, 20.0])
    assert unpaired_ci > 20, "unpaired, the seeds' spread hides what pairing shows"


def test_a_learners_own_settings_label_it_and_leave_it_comparable_with_the_others():
    from clsim.eval.report import learner_label, settings_id
    from clsim.learners import LearnerConfig

    shared = dict(vars(LearnerConfig()))
    base = {"setup": "behavior-il", "order": 1, "seed": 0, "per_segment": 80}
    finetune = {**base, "learner": "finetune", "learner_config": shared}
    cama = {**base, "learner": "cama", "learner_config": {**shared, "alpha": 0.5, "beta": 0.5, "cama_window": 5}}
    tuned = {**cama, "learner_config": {**cama["learner_config"], "alpha": 0.3}}
    # Earlier versions stored every learner's settings in one config: another learner's are not this one's.
    old = {**base, "learner": "cama", "learner_config": {**cama["learner_config"], "ewc_lambda": 100.0,
                                                          "distill": "mse", "num_classes": 12}}
    assert settings_id(finetune) == settings_id(cama) == settings_id(tuned) == settings_id(old)
    assert [learner_label(c) for c in (finetune, cama, tuned, old)] == ["finetune", "cama", "cama[alpha=0.3]", "cama"]
    assert learner_label({**old, "learner": "xder"}) == "der++-rewrite", "runs store the name they were run under"
    assert settings_id({**finetune, "learner_config": {**shared, "lr": 0.01}}) != settings_id(finetune)


def test_a_world_declares_its_own_scores_and_report_columns(tmp_path):
    from conftest import TINY

    result = CliRunner().invoke(app, ["train", "--setup", "cvln-instruction", "--out", str(tmp_path / "nav"), *TINY])
    assert result.exit_code == 0, result.output
    assert "seen/spl" in text(result) and "unseen/ndtw" in text(result), "navigation's rows in the train table"
    summary = json.loads((tmp_path / "nav" / "summary.json").read_text())
    assert {"seen/spl", "seen/ndtw", "unseen/ne", "seen/asks"} <= set(summary["metrics"])
    assert train(tmp_path, "household").exit_code == 0
    assert "seen/spl" not in json.loads((tmp_path / "household" / "summary.json").read_text())["metrics"]
    report = CliRunner().invoke(app, ["report", str(tmp_path / "nav"), str(tmp_path / "household"),
                                      "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    nav, household = csv.DictReader((tmp_path / "report" / "runs.csv").open())
    assert math.isclose(float(nav["SPL A_last"]), 100 * summary["metrics"]["seen/spl"]["a_last"], abs_tol=1e-3)
    assert household["SPL A_last"] == "", "a household run has no SPL"
