"""--budget: every sample earns FLOPs, an update that would overspend is skipped, and no budget changes nothing."""

import json

import pytest
import torch
from conftest import make, toy_episode, train
from torch.utils.flop_counter import FlopCounterMode

BATCH = [toy_episode(str(i), 3) for i in range(4)]


def learner(flops_per_sample=0.0):
    return make("finetune", stream_batch=4, batch_size=8, online_iter=1.0, flops_per_sample=flops_per_sample)[1]


def update_flops() -> int:
    """What one finetune update on BATCH costs, counted by hand on a learner of its own."""
    probe = learner()
    probe.pending = list(BATCH)
    with FlopCounterMode(display=False) as counter:
        probe._update()
    return counter.get_total_flops()


def test_an_update_runs_only_when_the_samples_have_earned_its_flops():
    """Per sample F/4, batches of 4 identical samples, 4 updates due per batch: the first update runs unpriced
    (spent F, earned F after batch 1); batch 1's other 3 overspend. After batch 2, earned 2F: one more runs."""
    flops = update_flops()
    budgeted = learner(flops_per_sample=flops / 4)
    budgeted.observe(BATCH)
    assert (budgeted.updates, budgeted.flop_budget.skipped, budgeted.flop_budget.spent) == (1, 3, flops)
    budgeted.observe(BATCH)
    assert (budgeted.updates, budgeted.flop_budget.skipped, budgeted.flop_budget.spent) == (2, 6, 2 * flops)
    assert budgeted.flop_budget.earned == pytest.approx(2 * flops)


def test_no_budget_trains_exactly_as_before_and_a_budget_survives_a_checkpoint():
    plain, unlimited = learner(), learner(flops_per_sample=1e30)
    for each in (plain, unlimited):
        each.observe(BATCH)
    assert plain.updates == unlimited.updates == 4 and unlimited.flop_budget.skipped == 0
    for key, value in plain.agent.state_dict().items():
        assert torch.equal(value, unlimited.agent.state_dict()[key]), key
    restored = learner(flops_per_sample=1e30)
    restored.load_state_dict(unlimited.state_dict())
    assert restored.flop_budget == unlimited.flop_budget


def test_learners_that_schedule_their_own_updates_refuse_a_budget():
    for name in ("clib", "joint", "knn"):
        with pytest.raises(ValueError, match=f"learner '{name}' schedules its own updates and takes no --budget"):
            make(name, flops_per_sample=1e9)


def test_train_with_a_budget_reports_what_it_spent_and_skipped(tmp_path):
    result = train(tmp_path, "budget", "--learner", "er", "--budget", "2e6")
    assert result.exit_code == 0, result.output
    cost = json.loads((tmp_path / "budget" / "summary.json").read_text())["cost"]
    assert cost["budget_flops_per_sample"] == 2e6 and cost["updates_skipped"] > 0
    assert cost["budget_spent_flops"] <= 2e6 * 8 + cost["budget_spent_flops"] / max(1, cost["updates"])
    refused = train(tmp_path, "clib", "--learner", "clib", "--budget", "2e6")
    assert refused.exit_code == 2 and not (tmp_path / "clib").exists()
