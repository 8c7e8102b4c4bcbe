"""Checkpoints and --resume: a run killed with SIGKILL mid-stream resumes to the same numbers."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import TINY, text
from typer.testing import CliRunner

from clsim.cli.app import app

# A stream long enough to be killed mid-way: 4 segments x 4 samples, a checkpoint every 2 samples.
ARGS = ["train", "--setup", "environment-il", "--learner", "cama", *TINY, "--per-segment", "4",
        "--checkpoint-every", "2"]


def cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "clsim.cli.app", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def outputs(run):
    return (json.loads((run / "summary.json").read_text()), (run / "metrics.jsonl").read_text(),
            (run / "checkpoints" / "final.safetensors").read_bytes())


def test_a_run_killed_mid_stream_resumes_to_the_uninterrupted_numbers(tmp_path):
    whole = cli(*ARGS, "--out", str(tmp_path / "whole"))
    killed = cli(*ARGS, "--out", str(tmp_path / "killed"))
    pointer = tmp_path / "killed" / "checkpoints" / "latest.json"
    deadline = time.monotonic() + 300
    while not (pointer.exists() and json.loads(pointer.read_text())["samples"] >= 4):
        assert killed.poll() is None and time.monotonic() < deadline, "the run ended before a mid-stream checkpoint"
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "killed" / "summary.json").exists(), "killed before the end"
    assert whole.wait() == 0, whole.stdout.read()

    resumed = cli("train", "--resume", str(tmp_path / "killed"))  # same thread count as the others
    output = resumed.communicate()[0]
    assert resumed.returncode == 0, output
    assert "resuming at sample" in " ".join(output.split())
    summary, metrics, weights = outputs(tmp_path / "killed")
    expected, expected_metrics, expected_weights = outputs(tmp_path / "whole")
    assert summary["metrics"] == expected["metrics"] and summary["final"] == expected["final"]
    assert metrics == expected_metrics
    assert weights == expected_weights
    for log in ("train.csv", "eval.csv"):  # the training curve continues where the checkpoint left it
        assert (tmp_path / "killed" / "logs" / log).read_text() == (tmp_path / "whole" / "logs" / log).read_text()
    assert all(summary["cost"][k] == expected["cost"][k] for k in ("train_flops", "eval_flops", "eval_episodes"))
    assert sorted(p.name for p in (tmp_path / "killed" / "checkpoints").iterdir()) == [
        "final.safetensors", "latest.json", "step-14.pt", "step-14.safetensors"]


def directory(root, name, files):
    path = root / name
    path.mkdir()
    for file, content in files.items():
        (path / file).write_text(content)
    return path


def test_resume_refuses_foreign_finished_and_unreadable_directories(tmp_path):
    foreign = directory(tmp_path, "foreign", {"notes.txt": "not a run"})
    finished = directory(tmp_path, "finished", {"config.json": "{}", "summary.json": '{"precious": true}'})
    broken = directory(tmp_path, "broken", {"config.json": "{ not json"})
    alien = directory(tmp_path, "alien", {"config.json": '{"learner_config": {"warp_drive": 9}}'})
    for path, message in [(foreign, "is not a clsim run directory (no config.json)"),
                          (finished, "holds a finished run"),
                          (broken, "cannot read the run in"),
                          (alien, "not a clsim run configuration")]:
        result = CliRunner().invoke(app, ["train", "--resume", str(path)])
        assert result.exit_code == 2, (path, result.output)
        assert message in text(result), result.output
    assert (finished / "summary.json").read_text() == '{"precious": true}'


@pytest.mark.parametrize("value", ["-1"])
def test_a_negative_checkpoint_interval_is_refused(tmp_path, value):
    result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "x"), "--checkpoint-every", value])
    assert result.exit_code == 2 and "checkpoint_every must be >= 0, got -1" in text(result)
