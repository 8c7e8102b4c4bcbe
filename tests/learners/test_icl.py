"""Learner icl: demonstrations go, abstracted, into the causal LM's prompt by similarity within a token budget;
no weight changes; tokens read are counted; the examples survive a checkpoint."""

import json

import pytest
import torch
from conftest import train

from clsim.agents.in_context import abstract, with_examples
from clsim.agents.pretrained import CausalLMAgent, CausalLMConfig, write_random_model
from clsim.envs.core import Episode, Step
from clsim.learners import get_learner

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, household):
    return write_random_model(tmp_path_factory.mktemp("gpt") / "tiny", "causal-lm", household.vocabulary())


@pytest.fixture(scope="module")
def demos(household):
    tasks = [*household.make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0),
             *household.make_tasks("pick_heat_then_place_in_recep", "kitchen", "train", 1, 0),
             *household.make_tasks("look_at_obj_in_light", "bedroom", "train", 1, 0)]
    return [household.demonstrate(t).episode() for t in tasks]


def agent(model_dir, household, **options):
    return CausalLMAgent(household.vocabulary(), CausalLMConfig(model_dir=str(model_dir), lora_r=0, **options), 0)


def test_a_demonstration_is_its_instruction_and_the_experts_actions_with_runs_collapsed():
    steps = tuple(Step("o", ("MoveAhead", "RotateLeft", "PickupObject apple 1"), a) for a in (0, 0, 0, 1, 2))
    assert abstract(Episode("u", "Pick up the apple .", steps)) == \
        "pick up the apple . -> moveahead x3 ; rotateleft ; pickupobject apple 1"
    assert with_examples("now", ["near", "far"], [3, 3], budget=6) == "far || near || now"
    assert with_examples("now", ["near", "far"], [3, 3], budget=5) == "near || now"  # the nearest always first


def test_icl_puts_the_most_similar_demonstration_in_the_prompt_and_trains_nothing(model_dir, household, demos):
    lm = agent(model_dir, household, icl_k=1)
    learner = get_learner("icl")(lm, None, seed=0)
    before = {k: v.clone() for k, v in lm.model.state_dict().items()}
    learner.observe(demos)
    assert len(lm.examples) == 3 and learner.updates == 0 and learner.buffer_bytes() > 0
    for demo in demos:
        step = demo.observations()[1]
        assert lm.prompt(step).startswith(abstract(demo) + " || "), "a step retrieves its own demonstration"
    lm.scores(demos[0].observations()[:1])
    assert all(torch.equal(before[k], v) for k, v in lm.model.state_dict().items())
    assert not any(p.requires_grad for p in lm.parameters())


def test_tokens_processed_counts_every_prompt_and_candidate_token(model_dir, household, demos):
    lm = agent(model_dir, household, icl_k=2, icl_tokens=10**4)
    lm.remember_examples(demos[1:])
    step = demos[0].observations()[0]
    prompt = lm.tokenizer(lm.prompt(step), add_special_tokens=False)["input_ids"][-(256 - 16):]
    candidates = [lm.tokenizer(" " + c, add_special_tokens=False)["input_ids"][:16] for c in step["candidates"]]
    lm.scores([step])
    assert lm.tokens_processed == sum(len(prompt) + len(c) for c in candidates)


def test_the_examples_survive_a_checkpoint_and_a_bounded_memory_keeps_its_limit(model_dir, household, demos):
    lm = agent(model_dir, household)
    lm.remember_examples(demos)
    copy = agent(model_dir, household)
    copy.load_state_dict(lm.state_dict())
    assert copy.examples.texts == lm.examples.texts and torch.equal(copy.examples.keys, lm.examples.keys)
    bounded = agent(model_dir, household, icl_memory=2)
    bounded.remember_examples(demos * 3)
    assert len(bounded.examples) == 2 and bounded.examples.offered == 9


def test_clsim_train_with_icl_reports_tokens_and_memory(model_dir, tmp_path):
    result = train(tmp_path, "icl", "--learner", "icl", "--agent", "causal-lm", "--agent-option",
                   f"model_dir={model_dir}", "--agent-option", "lora_r=0")
    assert result.exit_code == 0, result.output
    cost = json.loads((tmp_path / "icl" / "summary.json").read_text())["cost"]
    assert cost["updates"] == 0 and cost["tokens_processed"] > 0 and cost["memory_bytes"] > 0
    assert cost["trainable_parameters"] == 0
    refused = train(tmp_path, "lm", "--learner", "icl")
    assert refused.exit_code != 0 and "use --agent causal-lm" in " ".join(refused.output.split())
