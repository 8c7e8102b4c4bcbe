"""clsim report: runs grouped by setup, learner and settings, mean ± standard error, files and errors."""

import csv
import json
import math

from test_cli import text, train
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
    lines = (tmp_path / "report" / "report.md").read_text().splitlines()
    table = [line.split(" | ") for line in lines if line.startswith("| environment-il")]
    assert [(cells[1], cells[3]) for cells in table] == [("finetune", "2"), ("finetune", "1"), ("er", "1")]
    values = [100 * json.loads((tmp_path / n / "summary.json").read_text())["metrics"]["seen/gc"]["a_last"]
              for n in ("ft-s0", "ft-s1")]
    mean, se = sum(values) / 2, abs(values[0] - values[1]) / 2  # s.e. of two values: |a - b| / 2
    column = lines[2].split(" | ").index("GC A_last")
    assert table[0][column] == f"{mean:.1f} ± {se:.1f}"
    assert math.isclose(float(rows[0]["GC A_last"]), values[0], abs_tol=1e-3)
    assert (tmp_path / "report" / "comparison.png").stat().st_size > 1000


def test_report_refuses_what_is_not_a_finished_run(tmp_path):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text("{}")
    result = CliRunner().invoke(app, ["report", str(unfinished), "--out", str(tmp_path / "report")])
    assert result.exit_code == 2
    assert "is not a finished clsim run (missing summary.json)" in text(result)
    assert not (tmp_path / "report").exists()
