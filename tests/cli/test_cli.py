"""End to end through the CLI on a tiny stream: files, determinism, and clear errors."""

import csv
import json
import shutil

import pytest
from conftest import TINY, text, train
from typer.testing import CliRunner

from clsim.cli.app import app


def test_train_writes_a_complete_run_directory_and_is_deterministic(tmp_path):
    first = train(tmp_path, "a", "--learner", "der++")
    assert first.exit_code == 0, first.output
    run = tmp_path / "a"
    for name in ("config.json", "metrics.jsonl", "summary.json", "checkpoints/final.safetensors",
                 "plots/sr_seen.png", "plots/sr_unseen.png", "plots/gc_seen.png", "plots/gc_unseen.png"):
        assert (run / name).exists(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["segments"] == ["bedroom", "bathroom", "living_room", "kitchen"]
    cost = summary["cost"]
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert cost["memory_episodes"] == 4 and cost["memory_bytes"] > 0 and cost["peak_rss_mb"] > 0
    assert cost["trainable_parameters"] > 0 and cost["samples_per_second"] > 0
    assert 0 < cost["train_seconds"] + cost["eval_seconds"] <= cost["wall_seconds"]
    assert cost["eval_flops"] > 0 and cost["eval_episodes"] == sum(  # the first eval point is always counted
        s["episodes"] for r in records for g in ("scores", "upcoming") for v in r[g].values() for s in v.values())
    assert cost["train_flops"] > 0 and "flop_counter" in cost["flops_method"]  # 8 steps: all counted
    curve = list(csv.DictReader((run / "logs" / "train.csv").open()))
    assert [int(r["update"]) for r in curve] == list(range(1, cost["updates"] + 1))
    assert all(float(r["loss"]) > 0 for r in curve) and int(curve[-1]["samples"]) == 8
    evals = list(csv.DictReader((run / "logs" / "eval.csv").open()))
    assert [(int(r["samples"]), r["segment"], float(r["value"])) for r in evals if r["score"] == "sr"
            and r["split"] == "seen"] == [(p["samples"], s, p[g][s]["seen"]["sr"]) for p in records
                                          for g in ("scores", "upcoming") for s in sorted(p[g])]  # upcoming: FWT
    assert [r["samples"] for r in records] == summary["samples"] == [2, 3, 4, 6, 8]
    assert list(records[0]["scores"]) == ["bedroom"] and len(records[-1]["scores"]) == 4
    upcoming = {r["samples"]: list(r["upcoming"]) for r in records}
    assert upcoming == {2: ["bathroom"], 3: [], 4: ["living_room"], 6: ["kitchen"], 8: []}, "next segment, for FWT"
    baseline = summary["random_baseline_per_segment"]["seen"]["gc"]
    gains = [records[i]["upcoming"][s]["seen"]["gc"] - baseline[s]
             for i, s in ((0, "bathroom"), (2, "living_room"), (3, "kitchen"))]
    assert summary["metrics"]["seen/gc"]["fwt"] == pytest.approx(sum(gains) / 3)
    assert "Stream metrics" in text(first) and "bathroom" in text(first)
    second = train(tmp_path, "b", "--learner", "der++")
    assert second.exit_code == 0
    again = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert again["metrics"] == summary["metrics"] and again["final"] == summary["final"]


def test_unknown_names_and_bad_values_exit_2_with_a_clear_message(tmp_path):
    for args, message in [(["--learner", "ewc"], "unknown learner 'ewc'"),
                          (["--setup", "task-il"], "unknown setup 'task-il'"),
                          (["--order", "0"], "order must be >= 1"),
                          (["--world", "minecraft"], "unknown world 'minecraft'"),
                          (["--eval-every", "0"], "eval_every must be >= 1")]:
        result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 2, args
        assert message in text(result), result.output
    assert not (tmp_path / "x").exists()


def test_an_existing_run_is_never_overwritten(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text('{"precious": true}')
    result = train(tmp_path, "run")
    assert result.exit_code == 2 and "already holds a run" in text(result)
    assert (run / "summary.json").read_text() == '{"precious": true}'
    assert not (run / "config.json").exists()


def test_list_shows_registered_components():
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ("household", "behavior-il", "environment-il", "cama", "der++", "er", "finetune"):
        assert name in result.output
    assert CliRunner().invoke(app, ["list", "gizmos"]).exit_code == 2


def test_same_seed_gives_identical_weights_across_processes(tmp_path):
    """Separate interpreters with different hash seeds, as two users' machines would be."""
    import os
    import subprocess
    import sys

    def run(name: str, hash_seed: str) -> bytes:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "clsim.cli.app", "train", "--setup", "environment-il",
                        "--learner", "cama", "--no-baseline", "--out", str(tmp_path / name), *TINY],
                       check=True, env=env, capture_output=True)
        return (tmp_path / name / "checkpoints" / "final.safetensors").read_bytes()

    assert run("a", "1") == run("b", "2")


def test_a_disk_that_fills_mid_run_exits_2_and_keeps_what_was_written(tmp_path, monkeypatch):
    import errno

    from clsim.eval.rundir import RunDirectory

    original = RunDirectory.append_metrics
    calls = []

    def append_then_fill_the_disk(self, record):
        calls.append(record["samples"])
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, record)

    monkeypatch.setattr(RunDirectory, "append_metrics", append_then_fill_the_disk)
    result = train(tmp_path, "full")
    assert result.exit_code == 2
    assert "No space left on device" in text(result) and "clsim train --resume" in text(result)
    run = tmp_path / "full"
    assert json.loads((run / "config.json").read_text())["setup"] == "environment-il"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["samples"] for r in records] == [2]
    assert not (run / "summary.json").exists()


def test_a_blurry_run_evaluates_each_label_from_its_first_sample(tmp_path):
    from clsim.experiment import RunConfig

    result = train(tmp_path, "blurry", "--blurry", "0-50", "--per-segment", "4")
    assert result.exit_code == 0, result.output
    run = tmp_path / "blurry"
    config = RunConfig.from_dict(json.loads((run / "config.json").read_text()))
    assert config.blurry == "0-50"
    first = config.stream().first_seen()
    for record in (json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()):
        assert set(record["scores"]) == {label for label, n in first.items() if n <= record["samples"]}
    assert any(n <= 4 for label, n in first.items() if label != "bedroom"), "a later label arrives early"
    bad = train(tmp_path, "bad", "--blurry", "ten")
    assert bad.exit_code == 2 and "blurry must be N-M" in text(bad)


def test_learner_options_reach_the_config_and_bad_ones_are_named(tmp_path):
    result = train(tmp_path, "esr-kl", "--learner", "esr", "--learner-option", "distill=kl",
                   "--learner-option", "temperature=3")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "esr-kl" / "config.json").read_text())["learner_config"]
    assert saved["distill"] == "kl" and saved["temperature"] == 3.0
    for option, message in [("warp=9", "learner esr option 'warp=9' is not KEY=VALUE with KEY one of: batch_size, beta"),
                            ("lr=fast", "learner esr option lr takes a float, got 'fast'"),
                            ("distill=l1", "distill must be 'mse' or 'kl', got 'l1'"),
                            ("alpha=0.3", "KEY one of: batch_size, beta, clip_grad, distill, flops_per_sample, lr")]:
        bad = train(tmp_path, "bad", "--learner", "esr", "--learner-option", option)
        assert bad.exit_code == 2 and message in text(bad), bad.output
    assert not (tmp_path / "bad").exists()


def test_training_on_an_exported_stream_gives_the_generated_streams_numbers(tmp_path):
    exported = CliRunner().invoke(app, ["stream", "--setup", "environment-il", "--per-segment", "2",
                                        "--out", str(tmp_path / "s.jsonl")])
    assert exported.exit_code == 0, exported.output
    assert "wrote 8 samples in 4 segments" in text(exported)
    assert train(tmp_path, "generated").exit_code == 0
    from_file = train(tmp_path, "from-file", "--stream", str(tmp_path / "s.jsonl"))
    assert from_file.exit_code == 0, from_file.output
    a, b = (json.loads((tmp_path / n / "summary.json").read_text()) for n in ("generated", "from-file"))
    assert a["metrics"] == b["metrics"] and a["final"] == b["final"]
    missing = train(tmp_path, "x", "--stream", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "cannot read stream file" in text(missing)


def test_a_setup_file_run_keeps_its_definition_and_outlives_the_file(tmp_path):
    setup = tmp_path / "kitchen.yaml"
    setup.write_text("name: kitchen-split\nsegments:\n  hot: {environment: kitchen, behavior: "
                     "pick_heat_then_place_in_recep}\n  cold: {environment: kitchen, behavior: "
                     "pick_cool_then_place_in_recep}\norders:\n  - [cold, hot]\n")
    result = CliRunner().invoke(app, ["train", "--setup", str(setup), "--learner", "er", "--blurry", "si-0-50",
                                      "--out", str(tmp_path / "run"), *TINY])
    assert result.exit_code == 0, result.output
    assert "Final scores per segment" in text(result)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["setup_definition"]["segments"]["hot"]["behavior"] == "pick_heat_then_place_in_recep"
    assert config["segments"] == ["cold", "hot"]
    setup.unlink()  # the run no longer needs the file: its definition is in config.json
    evaluated = CliRunner().invoke(app, ["eval", str(tmp_path / "run"), "--episodes", "1"])
    assert evaluated.exit_code == 0, evaluated.output
    assert set(json.loads((tmp_path / "run" / "eval-1.json").read_text())["segments"]) == {"cold", "hot"}
    missing = CliRunner().invoke(app, ["train", "--setup", str(setup), "--out", str(tmp_path / "x"), *TINY])
    assert missing.exit_code == 2 and "cannot read setup file" in text(missing)


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """Makes directories fail writes as on a read-only filesystem (EROFS). Tests run as root in
    CI, where chmod does not stop writes, so the OS calls that create files fail instead."""
    import errno
    import os

    guarded: list[str] = []
    real_open, real_mkdir = os.open, os.mkdir

    def refuse(path):
        if any(str(path).startswith(d) for d in guarded):
            raise OSError(errno.EROFS, "Read-only file system", str(path))

    def guarded_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        refuse(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)

    def make_read_only(directory):
        directory.mkdir(exist_ok=True)
        guarded.append(str(directory))
        return directory

    return make_read_only


def test_a_read_only_output_exits_2_with_one_message_and_leaves_earlier_results(tmp_path, read_only):
    assert train(tmp_path, "done").exit_code == 0
    done = read_only(tmp_path / "done")
    before = {p: p.read_bytes() for p in done.rglob("*") if p.is_file()}
    empty = read_only(tmp_path / "ro")
    for args, message in [
        (["train", "--setup", "environment-il", "--out", str(empty / "run"), *TINY], "cannot write to"),
        (["stream", "--setup", "environment-il", "--per-segment", "2", "--out", str(empty / "s.jsonl")],
         "cannot write"),
        (["report", str(done), "--out", str(empty / "report")], "cannot write the report"),
        (["eval", str(done), "--episodes", "1"], "cannot write"),
    ]:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert message in text(result) and "Read-only file system" in text(result), result.output
    assert not any(empty.iterdir())
    assert {p: p.read_bytes() for p in done.rglob("*") if p.is_file()} == before


def test_doctor_says_what_works_and_the_command_that_fixes_what_does_not(monkeypatch):
    from clsim.doctor import run_checks

    monkeypatch.setenv("CLSIM_THOR_EXECUTABLE", "/nowhere/thor-build")
    checks = {c.name: c for c in run_checks()}
    assert checks["ray"].ok and checks["reinforcement learning"].ok, "the test extra installs ray and sb3"
    assert checks["text worlds"].ok and "textworld_express 1.1" in checks["text worlds"].found
    assert checks["java"].ok == (shutil.which("java") is not None)
    thor = checks["AI2-THOR"]
    assert not thor.ok and ("pip install 'clsim[thor]'" in thor.fix or "CLSIM_THOR_EXECUTABLE" in thor.fix)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    shown = text(result)
    assert all(name in shown for name in checks) and thor.fix.split()[0] in shown
    assert "clsim[thor]" in shown or "CLSIM_THOR_EXECUTABLE" in shown, "fixes are shown as written, not as markup"


def test_errors_are_printed_as_written_not_read_as_markup(tmp_path):
    result = CliRunner().invoke(app, ["train", "--setup", str(tmp_path / "mine[v2].yaml")])
    assert result.exit_code == 2 and "mine[v2].yaml" in text(result)


def test_log_tensorboard_writes_the_csv_curves_as_scalars_and_changes_no_number(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logged, plain = train(tmp_path, "tb", "--log", "tensorboard"), train(tmp_path, "plain")
    assert logged.exit_code == 0 and plain.exit_code == 0, logged.output
    run = tmp_path / "tb"
    assert (run / "checkpoints/final.safetensors").read_bytes() == \
        (tmp_path / "plain/checkpoints/final.safetensors").read_bytes()
    board = EventAccumulator(str(run / "logs" / "tensorboard"))
    board.Reload()
    curve = list(csv.DictReader((run / "logs" / "train.csv").open()))
    assert [(e.step, round(e.value, 5)) for e in board.Scalars("train/loss")] == [
        (int(r["update"]), round(float(r["loss"]), 5)) for r in curve]
    evals = [r for r in csv.DictReader((run / "logs" / "eval.csv").open())
             if (r["split"], r["score"], r["segment"]) == ("seen", "sr", "bedroom")]
    assert [(e.step, e.value) for e in board.Scalars("seen/sr/bedroom")] == [
        (int(r["samples"]), pytest.approx(float(r["value"]))) for r in evals]


def test_an_unknown_logger_exits_2_naming_the_allowed_ones(tmp_path):
    result = train(tmp_path, "x", "--log", "wandb")
    assert result.exit_code == 2 and "unknown logger 'wandb'; allowed: csv, tensorboard" in text(result)
    assert not (tmp_path / "x").exists()
