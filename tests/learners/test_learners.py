"""Learners: reservoir memory, the online schedule, DER++ logits and CAMA's update rule."""

import random
from collections import Counter

import pytest
import torch
from conftest import make, toy_episode

from clsim.agents.knn import KNNPolicy
from clsim.learners import EpisodeMemory, MemoryItem, get_learner
from clsim.learners.cama import CAMA, confidence_gamma, moving_average


def test_reservoir_keeps_every_item_with_equal_probability():
    kept = Counter()
    for trial in range(2000):
        memory = EpisodeMemory(5, random.Random(trial))
        for i in range(20):
            memory.add(MemoryItem(toy_episode(str(i), 1)))
        assert len(memory) == 5 and memory.seen == 20
        kept.update(item.episode.uid for item in memory.items)
    rates = [kept[str(i)] / 2000 for i in range(20)]
    assert all(abs(r - 5 / 20) < 0.04 for r in rates), rates


def test_online_schedule_runs_online_iter_updates_per_sample_with_memory_batches():
    agent, learner = make("er", batch_size=4, stream_batch=2, online_iter=1.5, memory_size=3)
    learner.observe([toy_episode(str(i)) for i in range(6)])
    assert learner.updates == 9  # 6 samples x 1.5
    assert len(learner.memory) == 3 and learner.memory.seen == 6
    learner.observe([toy_episode("6")])
    assert not learner.memory.items or learner.updates == 9, "a partial stream batch waits"
    learner.flush()
    assert learner.memory.seen == 7


def test_finetune_keeps_no_memory_and_learning_lowers_the_loss():
    agent, learner = make("finetune", batch_size=2, stream_batch=2, online_iter=10)
    episodes = [toy_episode("a"), toy_episode("b")]
    before = learner.forward(episodes)
    loss_before = torch.nn.functional.cross_entropy(before.logits, before.targets).item()
    learner.observe(episodes)
    after = learner.forward(episodes)
    assert torch.nn.functional.cross_entropy(after.logits, after.targets).item() < loss_before
    assert len(learner.memory) == 0


def test_derpp_stores_logits_and_never_refreshes_them():
    agent, learner = make("der++", batch_size=4, stream_batch=2, memory_size=10)
    learner.observe([toy_episode("a"), toy_episode("b")])
    stored = [item.logits.clone() for item in learner.memory.items]
    assert stored[0].shape == (3, 4)
    learner.observe([toy_episode("c"), toy_episode("d")])
    assert all(torch.equal(s, item.logits) for s, item in zip(stored, learner.memory.items[:2]))


def test_cama_gamma_is_clipped_mean_confidence_above_chance():
    assert confidence_gamma([0.9, 0.8, 0.7, 0.6, 0.5]) == pytest.approx(0.7)
    assert confidence_gamma([-0.1, 0.02]) == 0.0
    assert confidence_gamma([]) == 0.0
    stored = torch.tensor([[1.0, 3.0], [2.0, 0.0]])
    current = torch.tensor([[3.0, 1.0], [0.0, 4.0]])
    out = moving_average(stored, current, torch.tensor([0.25, 1.0]))
    assert torch.allclose(out, torch.tensor([[1.5, 2.5], [0.0, 4.0]]))


def test_cama_refreshes_replayed_logits_with_each_steps_class_gamma():
    agent, learner = make("cama", batch_size=4, stream_batch=2, memory_size=2)
    assert isinstance(learner, CAMA)
    learner.observe([toy_episode("a"), toy_episode("b")])  # memory now holds a and b
    item = learner.memory.items[0]
    old = item.logits.clone()
    learner.queues.clear()
    replay = learner.forward([item.episode])
    stream = learner.forward([toy_episode("z")])
    learner.after_update(stream, replay, [item])
    classes = ["MoveAhead", "RotateLeft", "PickupObject"]
    gammas = torch.tensor([confidence_gamma(learner.queues[c]) for c in classes])
    probs = replay.logits.softmax(-1).gather(1, replay.targets[:, None]).squeeze(1)
    candidates = len(item.episode.steps[0].candidates)
    assert list(learner.queues["MoveAhead"])[-1] == pytest.approx(probs[0].item() - 1 / candidates), (
        "chance is one over the step's candidates: what the confidence is a probability over")
    expected = (1 - gammas[:, None]) * old + gammas[:, None] * replay.logits.detach()[:, : old.shape[1]]
    assert torch.allclose(item.logits, expected)


def test_cama_without_dc_uses_fixed_gamma():
    _, learner = make("cama-nodc")
    assert learner.gamma("MoveAhead") == 0.99


def test_unknown_learner_names_the_alternatives():
    with pytest.raises(ValueError, match="unknown learner 'ewc'.*cama.*er"):
        get_learner("ewc")


def test_a_learner_that_learns_from_neither_demonstrations_nor_reward_is_refused_before_running():
    from clsim.experiment import RunConfig
    from clsim.learners.base import Learner
    from clsim.learners.registry import LEARNERS, register

    @register
    class FeedbackOnly(Learner):
        name = "feedback-only-test"
        supports = frozenset({"binary-feedback"})

    try:
        with pytest.raises(ValueError, match="learns from binary-feedback, but clsim train streams demonstrations or "
                                             "reward"):
            RunConfig(learner="feedback-only-test").validate()
    finally:
        LEARNERS.remove("feedback-only-test")


def test_fractional_online_iter_spends_exactly_its_budget():
    agent, learner = make("der++", batch_size=4, stream_batch=2, online_iter=0.25, memory_size=8)
    learner.observe([toy_episode(str(i)) for i in range(8)])  # budget 0.5 per stream batch
    assert learner.updates == 2
    assert learner.memory.seen == 8 and all(item.logits is not None for item in learner.memory.items)


def test_peak_memory_is_measured_per_run_not_per_process():
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("peak memory can be reset on Linux only")
    # In a fresh interpreter: in this one, memory that earlier tests freed may still count as resident, and a new
    # block may reuse it without raising the peak.
    check = ("import numpy as np\n"
             "from clsim.eval.cost import peak_rss_mb, reset_peak_rss\n"
             "block = np.ones(400 * 2**20 // 8)  # 400 MiB, touched\n"
             "high = peak_rss_mb()\n"
             "del block\n"
             "reset_peak_rss()\n"
             "assert peak_rss_mb() < high - 300, (peak_rss_mb(), high)  # a later run does not inherit the peak\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_learners_without_gradients_take_agents_without_parameters_and_others_say_what_is_needed(household):
    from clsim.agents import RandomAgent, make_agent
    from clsim.learners import get_learner

    knn = KNNPolicy(household.vocabulary())
    with pytest.raises(ValueError, match="learner 'finetune' trains the agent's parameters, but agent KNNPolicy has "
                                         "none; use a learner that learns without gradients"):
        get_learner("finetune")(knn)
    with pytest.raises(ValueError, match="agent GroundedPolicy has none .* use --agent knn"):
        get_learner("knn")(make_agent("lm", household.vocabulary(), None, 0))
    with pytest.raises(ValueError, match="agent RandomAgent has none"):
        get_learner("er")(RandomAgent(0))
    learner = get_learner("knn")(knn)
    tasks = household.make_tasks("pick_and_place_simple", "kitchen", "train", 2, 0)
    learner.observe([household.demonstrate(t).episode() for t in tasks])
    assert learner.samples_seen == 2 and len(knn.actions) == sum(len(household.demonstrate(t).steps) for t in tasks)
    assert learner.buffer_bytes() == knn.memory_bytes() > 0 and learner.state_dict()["optimizer"] is None
