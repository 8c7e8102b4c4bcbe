"""Learning from binary feedback: the simulated user, feedback propagation, IPS clipping, and the bandit update."""

import json
import random

import pytest
import torch
from conftest import make
from safetensors.torch import load_file
from typer.testing import CliRunner

from clsim.cli.app import app
from clsim.interactive import FeedbackConfig, SimulatedUser, deploy, judge
from clsim.learners import LearnerConfig
from clsim.learners.bandit import BanditConfig, BanditLearner, FeedbackStep, bandit_loss, propagate

CANDIDATES = ("MoveAhead", "RotateLeft", "PickupObject apple 1", "Stop")
OBSERVATION = {"instruction": "put an apple on the counter .", "candidates": CANDIDATES,
               "observation": "kitchen . holding nothing looking level . apple 1 at counter 1 ahead left 2 face left "
                              "level ."}


def test_the_user_approves_the_experts_action_and_progress_and_nothing_else():
    assert judge("MoveAhead", "MoveAhead", 0) == 1
    assert judge("PickupObject apple 1", "MoveAhead", 1) == 1, "meeting a goal condition is progress"
    assert judge("RotateLeft", "MoveAhead", 0) == -1, "useless"
    assert judge("MoveAhead", "MoveAhead", -1) == -1, "undoing a goal condition"


def test_unlabelled_actions_take_the_next_feedback_within_8_actions():
    labels = propagate({2: 1, 12: -1}, 15)
    assert labels[:3] == [1, 1, 1]
    assert labels[3] is None, "the next feedback (action 12) is 9 actions away"
    assert labels[4:13] == [-1] * 9
    assert labels[13:] == [None, None]
    assert propagate({}, 3) == [None, None, None]


def watch_all(user, verdicts):
    """Feed the user actions judged as `verdicts` (True: the expert's action); returns the step it cancelled at."""
    user.start()
    for i, good in enumerate(verdicts):
        if user.watch(i, "MoveAhead" if good else "RotateLeft", "MoveAhead", 0):
            return i
    return None


def test_the_simulated_user_judges_at_its_rate_flips_with_its_noise_and_reacts_late():
    verdicts = [True, False, True, True, False, True]
    perfect = SimulatedUser(FeedbackConfig(), random.Random(0))
    watch_all(perfect, verdicts)
    assert perfect.end() == {i: (1 if good else -1) for i, good in enumerate(verdicts)}
    silent = SimulatedUser(FeedbackConfig(rate=0.0), random.Random(0))
    watch_all(silent, verdicts)
    assert silent.end() == {}
    contrary = SimulatedUser(FeedbackConfig(noise=1.0), random.Random(0))
    watch_all(contrary, verdicts)
    assert contrary.end() == {i: (-1 if good else 1) for i, good in enumerate(verdicts)}
    late = SimulatedUser(FeedbackConfig(delay=2), random.Random(0))
    watch_all(late, verdicts)
    assert late.end() == {i + 2: (1 if good else -1) for i, good in enumerate(verdicts[:-2])}, (
        "each judgement arrives 2 actions later and is recorded against the action taken then; the last 2 are lost")
    counts = []
    for seed in range(200):
        some = SimulatedUser(FeedbackConfig(rate=0.5), random.Random(seed))
        watch_all(some, verdicts)
        counts.append(len(some.end()))
    assert 2.6 < sum(counts) / len(counts) < 3.4, "about half of 6 actions judged"


def test_the_user_cancels_after_consecutive_negatives_and_the_cancel_counts_as_negative():
    user = SimulatedUser(FeedbackConfig(cancel_after=2), random.Random(0))
    assert watch_all(user, [True, False, True, False, False, True]) == 4
    assert user.end() == {0: 1, 1: -1, 2: 1, 3: -1, 4: -1}
    noisy = SimulatedUser(FeedbackConfig(cancel_after=2, delay=1), random.Random(0))
    assert watch_all(noisy, [False, False, False, True]) == 2, "a late user cancels one action later"
    assert noisy.end() == {1: -1, 2: -1}, "the first judgement arrives at action 1; the cancel is action 2's"
    with pytest.raises(ValueError, match="feedback noise must be in \\[0, 1\\], got 2"):
        FeedbackConfig(noise=2)


def test_the_ips_coefficient_is_clipped_at_1_and_carries_no_gradient():
    logits = torch.tensor([[2.0, 0.0, -1.0, 0.5]], requires_grad=True)
    valid = torch.ones(1, 4, dtype=torch.bool)
    pi = logits.detach().softmax(-1)[0, 0].item()  # ~0.73
    for deployed, c in [(0.9, pi / 0.9), (0.5, 1.0), (None, 1.0)]:
        loss = bandit_loss(logits, valid, [FeedbackStep(OBSERVATION, 0, 1.0, deployed)])
        (grad,) = torch.autograd.grad(loss, logits)
        (plain,) = torch.autograd.grad(-logits.log_softmax(-1)[0, 0], logits)
        assert torch.allclose(grad, c * plain, atol=1e-6), deployed
    negative = bandit_loss(logits, valid, [FeedbackStep(OBSERVATION, 0, -1.0, 0.5)])
    assert negative.item() == pytest.approx(logits.detach().log_softmax(-1)[0, 0].item())


@pytest.mark.parametrize("reward", [1.0, -1.0])
def test_feedback_moves_the_actions_probability_in_its_direction(reward):
    agent, _ = make("er")
    learner = BanditLearner(agent, LearnerConfig(lr=1e-2), seed=0)
    before = agent.scores([OBSERVATION])[0].softmax(-1)[2].item()
    for _ in range(3):
        learner.train_on([FeedbackStep(OBSERVATION, 2, reward, before)])
    after = agent.scores([OBSERVATION])[0].softmax(-1)[2].item()
    assert (after > before) if reward > 0 else (after < before)


def test_rehearsal_keeps_half_demonstrations_however_many_rounds_pile_up():
    agent, _ = make("er")
    learner = BanditLearner(agent, LearnerConfig(), seed=0)
    demo = FeedbackStep(OBSERVATION, 2, 1.0, None)
    assert learner.rehearsal(8) == []
    learner.demonstrations = [demo] * 10
    assert learner.rehearsal(8) == [demo] * 8  # no earlier round yet: all demonstrations
    learner.history = [FeedbackStep(OBSERVATION, 0, -1.0, 0.4)] * 1000
    picked = learner.rehearsal(8)
    assert len(picked) == 8 and picked.count(demo) == 4
    assert learner.rehearsal(7).count(demo) == 4  # an odd count gives the demonstrations the extra step


def test_deployment_samples_the_policy_and_records_what_the_update_needs(household):
    from clsim.agents import LMPolicy

    tasks = household.make_tasks("pick_and_place_simple", "kitchen", "train", 3, 0)
    agent = LMPolicy(household.vocabulary(), seed=0)
    config = FeedbackConfig(rate=0.5, cancel_after=4)
    first = deploy(household, agent, tasks, config, seed=1, max_steps=12)
    assert [i.actions for i in first] == [i.actions for i in deploy(household, agent, tasks, config, seed=1, max_steps=12)]
    for interaction in first:
        n = len(interaction.actions)
        assert 1 <= n <= 12 and len(interaction.observations) == len(interaction.deployed_probs) == n
        assert all(0.0 < p <= 1.0 for p in interaction.deployed_probs)
        assert set(interaction.feedback) <= set(range(n)) and set(interaction.feedback.values()) <= {-1, 1}
        probs = agent.scores(interaction.observations[:1])[0].softmax(-1)
        assert probs[interaction.actions[0]].item() == pytest.approx(interaction.deployed_probs[0], abs=1e-5)


def test_clsim_feedback_runs_rounds_and_reports_success_per_round(tmp_path):
    result = CliRunner().invoke(app, ["feedback", "--rounds", "2", "--tasks-per-round", "4", "--demonstrations", "1",
                                      "--initial-epochs", "1", "--eval-episodes", "1", "--max-steps", "8",
                                      "--initial-segments", "2", "--arrive-every", "1", "--noise", "0.1",
                                      "--out", str(tmp_path / "fb")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "fb" / "metrics.jsonl").read_text().splitlines()]
    assert [r["round"] for r in records] == [0, 1, 2]
    assert [len(r["segments"]) for r in records] == [2, 2, 3], "one more task type arrives per round"
    summary = json.loads((tmp_path / "fb" / "summary.json").read_text())
    assert len(summary["success"]) == 3 and summary["feedback"]["noise"] == 0.1
    assert summary["deployed_success"] == [None] + [r["deployed_success"] for r in records[1:]]
    assert (tmp_path / "fb" / "plots" / "success_over_rounds.png").is_file()
    bad = CliRunner().invoke(app, ["feedback", "--rate", "1.5", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "feedback rate must be in [0, 1], got 1.5" in " ".join(bad.output.split())
    wrong = CliRunner().invoke(app, ["train", "--learner", "bandit", "--out", str(tmp_path / "x")])
    assert wrong.exit_code == 2 and "learns from feedback" in " ".join(wrong.output.split())
    wrong = CliRunner().invoke(app, ["feedback", "--learner", "er", "--out", str(tmp_path / "y")])
    assert wrong.exit_code == 2 and "learner 'er' learns from demonstrations, not from feedback" in " ".join(
        wrong.output.split())
    wrong = CliRunner().invoke(app, ["feedback", "--learner-option", "memory_window=3", "--out", str(tmp_path / "z")])
    assert wrong.exit_code == 2 and "round_epochs" in wrong.output, "options are checked against the learner's own"


def test_a_feedback_run_takes_its_agent_from_the_registry(tmp_path):
    from clsim.interactive.experiment import FeedbackRunConfig, run_feedback

    config = FeedbackRunConfig(setup="environment-il", agent="lm-text", agent_options={"hidden": 32}, rounds=1,
                               tasks_per_round=2, demonstrations=1, initial_epochs=1, eval_episodes=1, max_steps=4,
                               initial_segments=1, learner_config=BanditConfig(round_epochs=1))
    run_feedback(config, tmp_path / "fb")
    saved = json.loads((tmp_path / "fb" / "config.json").read_text())
    assert (saved["agent"], saved["learner"], saved["agent_options"]) == ("lm-text", "bandit", {"hidden": 32})
    weights = load_file(tmp_path / "fb" / "checkpoints" / "final.safetensors")
    assert "point_query.weight" not in weights, "the free-text policy's weights, not the default agent's"
    assert weights["query.weight"].shape == (32, 32)


def test_online_feedback_updates_after_every_few_episodes_within_a_round(tmp_path):
    from clsim.interactive.experiment import FeedbackRunConfig, run_feedback

    settings = dict(setup="environment-il", rounds=1, tasks_per_round=6, demonstrations=1, initial_epochs=0,
                    eval_episodes=1, max_steps=6, initial_segments=1, learner_config=BanditConfig(stream_batch=2,
                                                                                                round_epochs=1))
    rounds = run_feedback(FeedbackRunConfig(**settings), tmp_path / "rounds")
    online = run_feedback(FeedbackRunConfig(**settings, online=True), tmp_path / "online")
    assert online["cost"]["updates"] > rounds["cost"]["updates"], "one update pass per 2 episodes, not per round"
    record = [json.loads(line) for line in (tmp_path / "online" / "metrics.jsonl").read_text().splitlines()][-1]
    assert record["feedback"] == record["steps"], "every deployed action judged (rate 1)"
