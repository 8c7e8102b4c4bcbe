"""Plug-ins: users' learners and agents by import path or installed entry point, and clear errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY, text
from typer.testing import CliRunner

from clsim.cli.app import app
from clsim.learners import Learner

EXAMPLE = Path(__file__).parents[1] / "examples" / "clsim-plugin-example"


class LacksFlush:
    """A 'learner' that forgot most of the protocol."""

    supports = frozenset({"demonstrations"})

    def observe(self, samples):
        pass


class WrongSignature(Learner):
    name = "wrong-signature-test"

    def __init__(self, agent):
        super().__init__(agent)


def train(tmp_path, *extra):
    return CliRunner().invoke(app, ["train", "--setup", "environment-il", "--out", str(tmp_path / "run"),
                                    *TINY, *extra])


def test_a_learner_and_an_agent_by_import_path_run_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    result = train(tmp_path, "--learner", "clsim_plugin_example.learners:LabelSmoothingER",
                   "--agent", "clsim_plugin_example.agents:BagOfWordsAgent")
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["learner"] == "clsim_plugin_example.learners:LabelSmoothingER"
    assert config["agent_spec"] == {"class": "clsim_plugin_example.agents:BagOfWordsAgent"}
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["cost"]["updates"] > 0 and summary["cost"]["memory_episodes"] == 4


ONE_FILE_LEARNER = '''
from dataclasses import dataclass

from clsim.learners import Learner, LearnerConfig
from clsim.learners.base import imitation_loss


@dataclass
class ScaledConfig(LearnerConfig):
    scale: float = 1.0
    warmup: int = 0


class ScaledFinetune(Learner):
    name = "scaled-finetune"
    uses_memory = False
    config_class = ScaledConfig

    def loss(self, stream, replay, items):
        return self.config.scale * imitation_loss(stream.logits, stream.targets)
'''


def test_a_learner_in_one_file_outside_the_package_takes_its_own_options_from_the_cli(tmp_path, monkeypatch):
    (tmp_path / "my_learner.py").write_text(ONE_FILE_LEARNER)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = train(tmp_path, "--learner", "my_learner:ScaledFinetune", "--learner-option", "scale=0.5",
                   "--learner-option", "warmup=3")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["learner_config"]
    assert saved["scale"] == 0.5 and saved["warmup"] == 3 and "alpha" not in saved, saved
    for option, message in [("scale=big", "learner my_learner:ScaledFinetune option scale takes a float, got 'big'"),
                            ("alpha=0.3", "KEY one of: batch_size, clip_grad, flops_per_sample, lr, memory_size, "
                                          "online_iter, scale, stream_batch, warmup")]:
        bad = train(tmp_path / "bad", "--learner", "my_learner:ScaledFinetune", "--learner-option", option)
        assert bad.exit_code == 2 and message in text(bad), bad.output


def test_a_benchmark_gives_each_learner_the_options_its_settings_have(tmp_path):
    from clsim.benchmark import plan
    from clsim.cli.common import learner_options, run_config

    common = dict(world=None, setup="behavior-il", agent="lm", order=1, seed=0, blurry=None, per_segment=80,
                  eval_every=40, eval_episodes=30, max_steps=60, baseline=True, checkpoint_every=80)
    options = learner_options(["alpha=0.3", "lr=0.002"], ["finetune", "der++"], online_iter=1.75, memory_size=50)
    config = run_config(learner="finetune", options=options, **common)
    assert type(config.learner_config).__name__ == "LearnerConfig" and config.learner_config.lr == 0.002
    jobs = {job.config.learner: job.config.learner_config
            for job in plan(config, ["finetune", "der++"], [1], [0], tmp_path, options)}
    assert jobs["der++"].alpha == 0.3 and jobs["der++"].lr == 0.002 and not hasattr(jobs["finetune"], "alpha")
    with pytest.raises(ValueError, match="learner finetune, er option 'alpha=0.3' is not KEY=VALUE"):
        learner_options(["alpha=0.3"], ["finetune", "er"], online_iter=1.75, memory_size=50)


@pytest.mark.parametrize("spec, message", [
    ("test_plugins:LacksFlush", "plug-in learner 'test_plugins:LacksFlush' (test_plugins.LacksFlush) lacks flush, "
                                "state_dict, load_state_dict"),
    ("test_plugins:WrongSignature", "plug-in learner 'test_plugins:WrongSignature' cannot be built as "
                                    "cls(agent, config, seed=seed)"),
    ("test_plugins:Nothing", "plug-in 'test_plugins:Nothing': module 'test_plugins' has no 'Nothing'"),
    ("no_such_module_xyz:Learner", "cannot import plug-in 'no_such_module_xyz:Learner'"),
])
def test_a_broken_learner_plug_in_is_named_with_what_is_wrong(tmp_path, spec, message):
    result = train(tmp_path, "--learner", spec)
    assert result.exit_code == 2
    assert message in text(result), result.output
    assert not (tmp_path / "run" / "summary.json").exists()


def test_an_agent_plug_in_missing_methods_is_named(tmp_path):
    result = train(tmp_path, "--agent", "test_plugins:LacksFlush")
    assert result.exit_code == 2
    assert "plug-in agent 'test_plugins:LacksFlush'" in text(result) and "lacks scores, act" in text(result)


def test_an_installed_plug_in_package_is_found_by_entry_point_name(tmp_path):
    """Build and install examples/clsim-plugin-example (offline) and use it by its entry-point names."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(EXAMPLE)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    listed = subprocess.run([sys.executable, "-m", "clsim.cli.app", "list", "learners"], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "er-smooth" in listed and "plug-in (clsim_plugin_example.learners:LabelSmoothingER)" in " ".join(listed.split())
    run = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "clsim.cli.app", "train", "--setup", "environment-il",
                           "--learner", "er-smooth", "--agent", "bow", "--out", str(run), *TINY],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((run / "config.json").read_text())["learner"] == "er-smooth"
    assert (run / "summary.json").exists()


def test_worlds_agents_and_learners_share_one_registry_shape(tmp_path, monkeypatch):
    from clsim.agents.registry import AGENTS
    from clsim.envs import get_family
    from clsim.envs.core import WORLDS
    from clsim.learners.registry import LEARNERS
    from clsim.plugins import PluginError, Registry

    assert all(isinstance(r, Registry) for r in (WORLDS, AGENTS, LEARNERS))
    assert {"household", "navigation"} <= set(WORLDS) and {"lm", "lm-text"} <= set(AGENTS) and "cama" in LEARNERS
    (tmp_path / "my_world.py").write_text(
        "from clsim.envs.navigation import NavigationFamily\n\n"
        "class Corridors(NavigationFamily):\n    '''Navigation under another name.'''\n\n"
        "class Broken:\n    name = 'broken'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    family = get_family("my_world:Corridors")
    assert type(family).__name__ == "Corridors" and get_family("my_world:Corridors") is family
    with pytest.raises(PluginError, match="plug-in world 'my_world:Broken' .* lacks allowed, check_task, make_tasks"):
        get_family("my_world:Broken")
    with pytest.raises(ValueError, match="world name 'household' is already taken"):
        WORLDS.add("household", object)
