"""Nothing silently wrong: what a run stores lets it be resumed and re-read exactly, or refused with a reason."""

import json
import os
import pickle
import shutil
import subprocess

import pytest
import torch
from conftest import TINY, text
from typer.testing import CliRunner

from clsim.cli.app import app
from clsim.experiment import RunConfig

# Segments deliberately not in alphabetical order, and no `orders:`: order 1 is the file's.
SETUP = ("name: out-of-order\nsegments:\n  zebra: {environment: kitchen, behavior: pick_heat_then_place_in_recep}\n"
         "  apple: {environment: kitchen, behavior: pick_cool_then_place_in_recep}\n")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def tiny_train(out, *extra: str):
    return invoke("train", "--setup", "environment-il", "--out", str(out), *TINY, *extra)


def unfinish(run) -> None:
    """Turn a finished run into one killed after its last checkpoint (what resume picks up)."""
    (run / "summary.json").unlink()


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "a"
    result = tiny_train(run, "--learner", "er")
    assert result.exit_code == 0, result.output
    return run


def test_a_setup_file_keeps_its_segment_order_through_config_json(tmp_path):
    setup = tmp_path / "mine.yaml"
    setup.write_text(SETUP)
    result = invoke("train", "--setup", str(setup), "--learner", "er", "--out", str(tmp_path / "run"), *TINY,
                    "--checkpoint-every", "2")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["segments"] == ["zebra", "apple"]
    assert RunConfig.from_dict(saved).stream().segments == ("zebra", "apple"), "what --resume rebuilds"

    # A run whose config.json lost the order (stored sorted, without orders) is refused, not resumed reordered.
    del saved["setup_definition"]["orders"]
    (tmp_path / "run" / "config.json").write_text(json.dumps(saved, sort_keys=True))
    unfinish(tmp_path / "run")
    resumed = invoke("train", "--resume", str(tmp_path / "run"))
    assert resumed.exit_code == 2
    assert "learned its segments in the order zebra, apple, but its config now gives apple, zebra" in text(resumed)


def test_a_stream_file_is_stored_by_absolute_path_and_content_hash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("stream", "--setup", "environment-il", "--per-segment", "2", "--out", "s.jsonl").exit_code == 0
    result = tiny_train("run", "--stream", "s.jsonl")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["stream_file"] == str(tmp_path / "s.jsonl") and len(saved["stream_sha256"]) == 64

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the run still finds its stream
    assert invoke("eval", str(tmp_path / "run"), "--episodes", "1").exit_code == 0

    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["segment"] == json.loads(lines[1])["segment"]
    (tmp_path / "s.jsonl").write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")  # two samples swapped
    changed = invoke("eval", str(tmp_path / "run"), "--episodes", "2")
    assert changed.exit_code == 2 and "changed since this run started" in text(changed)
    assert not (tmp_path / "run" / "eval-2.json").exists()


def test_threads_and_provenance_are_recorded(tmp_path):
    result = tiny_train(tmp_path / "run", "--threads", "1")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["threads"] == 1
    assert saved["provenance"]["torch"] == torch.__version__
    assert {"clsim", "git_commit", "python", "platform"} <= set(saved["provenance"])
    for value in ("0", "-2"):
        bad = tiny_train(tmp_path / "bad", "--threads", value)
        assert bad.exit_code == 2 and f"threads must be an integer >= 1, got {value}" in text(bad)
    assert not (tmp_path / "bad").exists()


def test_a_run_without_threads_records_the_count_it_ran_on(tmp_path):
    result = tiny_train(tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "run" / "config.json").read_text())["threads"] == torch.get_num_threads()


def test_report_counts_a_run_once_however_it_is_named(finished, tmp_path, monkeypatch):
    monkeypatch.chdir(finished.parent)
    result = invoke("report", str(finished), "a", "./a", "--out", str(tmp_path / "report"))
    assert result.exit_code == 0, result.output
    assert "1 run(s)" in text(result) and "names a run given before; it is counted once" in text(result)
    rows = (tmp_path / "report" / "runs.csv").read_text().strip().splitlines()
    assert len(rows) == 2  # header + one run


def test_report_leaves_out_unfinished_runs_with_a_warning(finished, tmp_path):
    unfinished = tmp_path / "b"
    shutil.copytree(finished, unfinished)
    unfinish(unfinished)
    result = invoke("report", str(finished), str(unfinished), "--out", str(tmp_path / "report"))
    assert result.exit_code == 0, result.output
    assert f"{unfinished} is unfinished (no summary.json); left out of the report" in text(result)
    only = invoke("report", str(unfinished), "--out", str(tmp_path / "report2"))
    assert only.exit_code == 2 and "no finished run to report" in text(only)


def test_a_learner_named_twice_in_a_benchmark_is_refused(tmp_path):
    result = invoke("benchmark", "--learners", "finetune,er,finetune", "--out", str(tmp_path / "b"))
    assert result.exit_code == 2 and "--learners names finetune more than once" in text(result)
    assert not (tmp_path / "b").exists()


def test_conflicting_or_invalid_options_are_refused(tmp_path, finished):
    assert invoke("stream", "--setup", "environment-il", "--per-segment", "2",
                  "--out", str(tmp_path / "s.jsonl")).exit_code == 0
    both = tiny_train(tmp_path / "run", "--stream", str(tmp_path / "s.jsonl"), "--blurry", "10-10")
    assert both.exit_code == 2 and "blurry '10-10' and a stream file both decide" in text(both)
    assert not (tmp_path / "run").exists()
    zero = invoke("eval", str(finished), "--max-steps", "0")
    assert zero.exit_code == 2 and "max_steps must be >= 1, got 0" in text(zero)


def test_eval_refuses_to_replace_an_earlier_result_without_force(finished):
    assert invoke("eval", str(finished), "--episodes", "1").exit_code == 0
    earlier = (finished / "eval-1.json").read_bytes()
    again = invoke("eval", str(finished), "--episodes", "1")
    assert again.exit_code == 2 and "eval-1.json exists; pass --force" in text(again)
    assert (finished / "eval-1.json").read_bytes() == earlier
    assert invoke("eval", str(finished), "--episodes", "1", "--force").exit_code == 0


class NoTrain:
    """An agent with every method but ``train``."""

    def __init__(self, vocabulary, seed=0):
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def scores(self, observations):
        return [self.weight.expand(len(o["candidates"])) for o in observations]

    def act(self, observations, greedy=True):
        return [0 for _ in observations]

    def state_dict(self):
        return {"weight": self.weight}

    def load_state_dict(self, state):
        pass

    def parameters(self):
        return [self.weight]


class ScoresTakeNothing(NoTrain):
    def train(self, mode=True):
        return self

    def scores(self):  # not how clsim calls it
        return []


@pytest.mark.parametrize("spec, message", [
    ("test_run_integrity:NoTrain", "lacks train; agents need scores(observations), act(observations, "
                                   "greedy=True), state_dict(), load_state_dict(state), parameters(), train()"),
    ("test_run_integrity:ScoresTakeNothing", "cannot be called as scores(observations)"),
])
def test_an_agent_plug_in_is_checked_with_signatures_before_anything_is_written(tmp_path, spec, message):
    result = tiny_train(tmp_path / "run", "--agent", spec)
    assert result.exit_code == 2 and message in text(result), result.output
    assert not (tmp_path / "run").exists()


class Payload:
    """Pickles to a call that creates a file: what a crafted checkpoint would do on load."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (subprocess.call, (["touch", str(self.marker)],))


def test_a_crafted_checkpoint_runs_no_code_on_resume(tmp_path):
    result = tiny_train(tmp_path / "run", "--checkpoint-every", "2")
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    unfinish(run)
    stem = json.loads((run / "checkpoints" / "latest.json").read_text())["stem"]
    marker = tmp_path / "pwned"
    (run / "checkpoints" / f"{stem}.pt").write_bytes(pickle.dumps({"learner": Payload(marker)}))
    resumed = invoke("train", "--resume", str(run))
    assert resumed.exit_code == 2 and "is not loaded" in text(resumed), resumed.output
    assert not marker.exists() and not os.path.exists(marker)


@pytest.fixture
def checkpointed(tmp_path):
    """An unfinished run with a checkpoint, as a kill after it leaves one."""
    result = tiny_train(tmp_path / "run", "--checkpoint-every", "2")
    assert result.exit_code == 0, result.output
    unfinish(tmp_path / "run")
    stem = json.loads((tmp_path / "run" / "checkpoints" / "latest.json").read_text())["stem"]
    return tmp_path / "run", tmp_path / "run" / "checkpoints" / stem


@pytest.mark.parametrize("suffix, content, message", [
    (".safetensors", b"\x08\x00", "cannot read the checkpoint's weights"),
    (".pt", b"", "cannot read the checkpoint's state"),
    (".pt", b"PK\x03\x04 truncated", "cannot read the checkpoint's state"),
])
def test_a_damaged_checkpoint_is_named_not_a_traceback(checkpointed, suffix, content, message):
    run, stem = checkpointed
    stem.with_suffix(suffix).write_bytes(content)
    resumed = invoke("train", "--resume", str(run))
    assert resumed.exit_code == 2 and message in text(resumed), resumed.output
    assert str(stem.with_suffix(suffix)) in "".join(resumed.output.split()), "the damaged file is named"


def test_damaged_final_weights_are_named_by_eval(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    (run / "checkpoints" / "final.safetensors").write_bytes(b"")
    result = invoke("eval", str(run), "--episodes", "3")
    assert result.exit_code == 2 and "cannot read the run's final weights" in text(result), result.output


@pytest.mark.parametrize("option, message", [
    (["--online-iter", "nan"], "online_iter must be a finite number, got nan"),
    (["--online-iter", "inf"], "online_iter must be a finite number, got inf"),
    (["--agent-option", "hidden=0"], "hidden must be >= 1, got 0"),
    (["--agent-option", "hidden=-1"], "hidden must be >= 1, got -1"),
    (["--agent-option", "heads=5"], "hidden (64) must be a multiple of heads (5)"),
    (["--agent", "lm-text", "--agent-option", "dropout=1.5"], "dropout must be < 1.0, got 1.5"),
])
def test_values_no_model_can_use_are_refused_before_a_run_directory_exists(tmp_path, option, message):
    result = tiny_train(tmp_path / "run", *option)
    assert result.exit_code == 2 and message in text(result), result.output
    assert not (tmp_path / "run").exists()


def test_a_stream_with_a_scene_that_does_not_exist_is_refused_before_a_run_directory_exists(tmp_path):
    assert invoke("stream", "--setup", "environment-il", "--per-segment", "2",
                  "--out", str(tmp_path / "s.jsonl")).exit_code == 0
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["task"]["scene"] = f"{first['task']['environment']}-99"
    (tmp_path / "s.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    result = tiny_train(tmp_path / "run", "--stream", str(tmp_path / "s.jsonl"))
    assert result.exit_code == 2
    assert f"is not a {first['task']['environment']} layout" in text(result), result.output
    assert not (tmp_path / "run").exists()


def test_a_ray_address_where_nothing_answers_is_named(tmp_path):
    result = invoke("benchmark", "--executor", "ray", "--address", "127.0.0.1:9", "--out", str(tmp_path / "b"))
    assert result.exit_code == 2 and "no Ray cluster answers at 127.0.0.1:9" in text(result)
    assert not (tmp_path / "b").exists()


def test_stream_refuses_to_replace_a_file_without_force(tmp_path):
    target = tmp_path / "s.jsonl"
    target.write_text("precious\n")
    result = invoke("stream", "--setup", "environment-il", "--per-segment", "2", "--out", str(target))
    assert result.exit_code == 2 and "exists; pass --force to replace it" in text(result)
    assert target.read_text() == "precious\n"
    forced = invoke("stream", "--setup", "environment-il", "--per-segment", "2", "--out", str(target), "--force")
    assert forced.exit_code == 0 and target.read_text().count("\n") == 8


def test_rerunning_an_interrupted_run_points_to_resume_and_resume_cleans_temporaries(checkpointed):
    run, stem = checkpointed
    again = tiny_train(run, "--checkpoint-every", "2")
    assert again.exit_code == 2 and f"holds an unfinished run; continue it with: clsim train --resume {run}" in text(
        again)
    leftover = run / "checkpoints" / ".step-8.safetensors.abc123.tmp"
    leftover.write_bytes(b"half a file")
    assert invoke("train", "--resume", str(run)).exit_code == 0
    assert not leftover.exists()


def test_a_second_writer_is_refused_while_a_run_holds_its_directory(checkpointed):
    from clsim.eval.rundir import RunDirectory

    run, _ = checkpointed
    holder, _ = RunDirectory.open(run)  # another process's resume, as far as the lock can tell
    try:
        second = invoke("train", "--resume", str(run))
        assert second.exit_code == 2 and "another clsim process is writing" in text(second)
    finally:
        holder.release()
    assert invoke("train", "--resume", str(run)).exit_code == 0


def test_run_files_follow_the_umask_and_summary_json_is_strict(tmp_path):
    previous = os.umask(0o022)
    try:
        result = tiny_train(tmp_path / "run")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    for name in ("config.json", "summary.json", "metrics.jsonl", "checkpoints/final.safetensors"):
        assert (tmp_path / "run" / name).stat().st_mode & 0o777 == 0o644, name
    summary = (tmp_path / "run" / "summary.json").read_text()
    json.loads(summary, parse_constant=lambda name: pytest.fail(f"summary.json holds {name}"))
    assert "null" in summary, "the last segment's forgetting is undefined: null"


def test_weights_that_do_not_fit_the_agent_are_named(finished, tmp_path):
    from safetensors.torch import load_file, save_file

    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    weights = run / "checkpoints" / "final.safetensors"
    state = load_file(weights)
    save_file({k: v for k, v in list(state.items())[1:]}, weights)  # one tensor short, as from another version
    result = invoke("eval", str(run), "--episodes", "4")
    assert result.exit_code == 2 and "do not fit the agent this clsim builds" in text(result), result.output


def test_a_run_that_stored_a_retired_learner_setting_still_loads():
    config = RunConfig.from_dict({"learner": "cama", "learner_config": {"num_classes": 13, "lr": 0.002}})
    assert config.learner_config.lr == 0.002


def test_the_eta_comes_from_the_whole_runs_pace():
    from clsim.cli.progress import remaining_seconds

    # 100 of 560 samples in 50 s (fast learning and slow evaluations averaged): 460 more take 230 s.
    assert remaining_seconds(560, 100, 0, 50.0) == pytest.approx(230.0)
    # A resumed run counts only the samples this process did: 20 since sample 80, in 10 s.
    assert remaining_seconds(560, 100, 80, 10.0) == pytest.approx(230.0)
    assert remaining_seconds(560, 80, 80, 3.0) is None, "no pace before the first sample"


# Values each option is drawn from: valid ones, bad ones, and strings no option takes.
OPTION_VALUES = {
    "--order": ["1", "2", "6", "0", "-3", "x"], "--seed": ["0", "7", "-1", "1e3"],
    "--per-segment": ["1", "2", "0", "-5", "nan"], "--eval-every": ["3", "1", "0", "big"],
    "--eval-episodes": ["1", "0", "-2"], "--max-steps": ["6", "0", "3.5"],
    "--online-iter": ["1", "0.5", "0", "nan", "inf", "-1"], "--memory-size": ["4", "0", "-4", "four"],
    "--blurry": ["10-10", "si-0-50", "10", "200-1", "x-y"], "--learner": ["er", "finetune", "nope", "a:b"],
    "--agent": ["lm", "lm-text", "nope"], "--threads": ["1", "0", "two"], "--checkpoint-every": ["2", "0", "-1"],
    "--agent-option": ["hidden=32", "hidden=0", "heads=3", "nope=1", "dropout=2"],
    "--learner-option": ["lr=0.001", "lr=nan", "distill=kl", "distill=x", "nope=1"],
    "--world": ["household", "household-hl", "minecraft"], "--setup": ["environment-il", "behavior-il", "x.yaml"],
}


@pytest.mark.slow
def test_generated_option_values_exit_0_or_2_and_leave_earlier_runs_alone(tmp_path):
    import random

    earlier = tmp_path / "earlier"
    assert tiny_train(earlier).exit_code == 0
    files = {p: p.read_bytes() for p in earlier.rglob("*") if p.is_file()}
    rng = random.Random(0)
    for case in range(40):
        chosen = rng.sample(sorted(OPTION_VALUES), 2)
        options = [item for name in chosen for item in (name, rng.choice(OPTION_VALUES[name]))]
        out = earlier if case % 10 == 0 else tmp_path / f"run{case}"  # some aim at the earlier run's directory
        result = invoke("train", "--out", str(out), *TINY, "--setup", "environment-il", *options)
        assert result.exit_code in (0, 2), (options, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (options, result.exception)
        assert {p: p.read_bytes() for p in earlier.rglob("*") if p.is_file()} == files, options


def test_train_says_at_once_how_much_it_prepares(tmp_path):
    result = tiny_train(tmp_path / "run")
    assert result.exit_code == 0
    header = text(result).split("eval at")[0]
    assert "preparing 8 samples and 8 eval tasks" in header, "said before any sample is learned"


def test_a_run_of_a_renamed_learner_loads_under_its_new_name():
    assert RunConfig.from_dict({"learner": "xder"}).learner == "der++-rewrite"


def test_clib_alone_receives_each_episodes_label_and_uses_it_for_its_memory(tmp_path):
    result = tiny_train(tmp_path / "run", "--learner", "clib", "--checkpoint-every", "2")
    assert result.exit_code == 0, result.output
    from clsim.eval.checkpoints import load_latest

    state = load_latest(tmp_path / "run" / "checkpoints").learner
    segments = json.loads((tmp_path / "run" / "config.json").read_text())["segments"]
    assert state["slot_labels"] and set(state["slot_labels"]) <= set(segments)
    assert state["labels"] == {}, "each label is used when its episode arrives"


def test_runs_from_other_commits_or_thread_counts_are_compared_as_one_setting():
    from clsim.eval.report import settings_id

    config = RunConfig(learner="er").pinned().to_dict()
    elsewhere = {**config, "threads": 7, "provenance": {"git_commit": "abc", "platform": "other"}}
    assert settings_id({**config, "provenance": {"git_commit": "def"}}) == settings_id(elsewhere)
    assert settings_id(config) != settings_id({**config, "per_segment": 3}), "settings still separate runs"
