"""clsim benchmark: sweeps over learners x orders x seeds, locally and on a local Ray instance, with one report."""

import json

import pytest
from typer.testing import CliRunner

from clsim.benchmark import parse_numbers
from clsim.cli.app import app

TINY = ["--setup", "environment-il", "--per-segment", "2", "--eval-every", "4", "--eval-episodes", "1",
        "--max-steps", "6", "--online-iter", "1", "--memory-size", "4"]
RUNS = ["environment-il-finetune-o1-s0", "environment-il-finetune-o2-s0", "environment-il-er-o1-s0",
        "environment-il-er-o2-s0"]


def text(result) -> str:
    return " ".join(result.output.split())


def sweep(out, *extra):
    return CliRunner().invoke(app, ["benchmark", "--learners", "finetune,er", "--orders", "1-2", "--out", str(out),
                                    *TINY, *extra])


def test_numbers_parse_as_ranges_and_lists():
    assert parse_numbers("1-5", "orders") == [1, 2, 3, 4, 5]
    assert parse_numbers("3,1, 2-3,7", "orders") == [1, 2, 3, 7]
    for bad, message in (("1-", "orders must be numbers or ranges"), ("5-1", "range '5-1' runs backwards"),
                         ("a", "orders must be numbers or ranges")):
        with pytest.raises(ValueError, match=message):
            parse_numbers(bad, "orders")


def test_a_local_sweep_writes_every_run_and_one_report_and_keeps_finished_runs(tmp_path):
    result = sweep(tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "b" / "runs").iterdir()) == sorted(RUNS)
    assert all((tmp_path / "b" / "runs" / name / "summary.json").is_file() for name in RUNS)
    report = (tmp_path / "b" / "report" / "report.md").read_text()
    assert "| finetune |" in report and "| er |" in report
    assert len((tmp_path / "b" / "report" / "runs.csv").read_text().splitlines()) == 1 + len(RUNS)
    assert text(result).count(" ran ") == 4
    summary = (tmp_path / "b" / "runs" / RUNS[0] / "summary.json").read_bytes()
    again = sweep(tmp_path / "b")
    assert again.exit_code == 0 and text(again).count(" kept ") == 4, again.output
    assert (tmp_path / "b" / "runs" / RUNS[0] / "summary.json").read_bytes() == summary
    other = sweep(tmp_path / "b", "--memory-size", "8")
    assert other.exit_code == 1 and "holds a run with other settings" in text(other)
    assert (tmp_path / "b" / "runs" / RUNS[0] / "summary.json").read_bytes() == summary


def test_a_ray_sweep_gives_the_local_sweeps_numbers(tmp_path):
    local = sweep(tmp_path / "local", "--learners", "er", "--orders", "2")
    on_ray = sweep(tmp_path / "ray", "--learners", "er", "--orders", "2", "--executor", "ray")
    assert local.exit_code == 0 and on_ray.exit_code == 0, on_ray.output
    run = "runs/environment-il-er-o2-s0"
    assert (tmp_path / "local" / run / "checkpoints" / "final.safetensors").read_bytes() == \
        (tmp_path / "ray" / run / "checkpoints" / "final.safetensors").read_bytes()
    a, b = (json.loads((tmp_path / d / run / "summary.json").read_text()) for d in ("local", "ray"))
    assert a["metrics"] == b["metrics"]
    assert (tmp_path / "ray" / "report" / "comparison.png").is_file()


@pytest.mark.parametrize("extra, message", [
    (["--learners", "finetune,replay9"], "unknown learner 'replay9'"),
    (["--orders", "0-2"], "order must be >= 1"),
    (["--seeds", "x"], "seeds must be numbers or ranges"),
    (["--executor", "slurm"], "unknown executor 'slurm'; choose local or ray"),
    (["--address", "10.0.0.1:6379"], "--address is for the ray executor"),
    (["--threads", "0"], "threads must be an integer >= 1, got 0"),
])
def test_bad_sweeps_exit_2_before_running_anything(tmp_path, extra, message):
    result = sweep(tmp_path / "b", *extra)
    assert result.exit_code == 2 and message in text(result), result.output
    assert not (tmp_path / "b").exists()
