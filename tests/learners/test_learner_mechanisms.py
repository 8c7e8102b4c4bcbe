"""Each added learner's defining mechanism on a small hand-checked case: PerpR, MIR, A-GEM, ESR, LwF, EWC++, X-DER, CLIB."""

import copy
import math
import random
from dataclasses import fields

import pytest
import torch
from conftest import make, toy_episode

from clsim.envs.core import Episode, Step
from clsim.learners import EpisodeMemory, MemoryItem, get_learner, learner_names, settings_class
from clsim.learners.agem import project
from clsim.learners.base import episode_losses, imitation_loss, kl_distillation
from clsim.learners.perpr import episode_perplexities

CANDIDATES = ("MoveAhead", "RotateLeft", "PickupObject apple 1", "Stop")


def varied_episode(uid: str, actions: list[int]) -> Episode:
    """An episode whose expert actions are `actions` (so episodes differ in difficulty)."""
    steps = tuple(Step(f"kitchen . holding nothing looking level . apple {i} at counter 1 ahead left {a} face "
                       "left level .", CANDIDATES, a) for i, a in enumerate(actions))
    return Episode(uid, "put an apple on the counter .", steps)


def test_every_added_learner_is_registered():
    assert {"perpr", "esr", "mir", "agem", "lwf", "ewc++", "ewc++-noreplay", "der++-rewrite", "clib"} <= set(learner_names())


def test_priority_memory_keeps_the_highest_priorities():
    memory = EpisodeMemory(2, random.Random(0))
    for i, priority in enumerate([1.0, 5.0, 3.0, 0.5, 4.0]):
        memory.keep_hardest(MemoryItem(toy_episode(str(i), 1), priority=priority))
    assert sorted(item.priority for item in memory.items) == [4.0, 5.0]
    assert memory.seen == 5


def test_perpr_keeps_and_replays_the_highest_perplexity_episodes():
    agent, learner = make("perpr", batch_size=4, stream_batch=2, online_iter=1, memory_size=3)
    episodes = [varied_episode(str(i), [(i + k) % 4 for k in range(1 + i % 3)]) for i in range(8)]
    learner.observe(episodes)
    kept = {item.episode.uid for item in learner.memory.items}
    with torch.no_grad():
        current = dict(zip([e.uid for e in episodes], episode_perplexities(learner.forward(episodes))))
    for item in learner.memory.items:  # priorities are the current policy's perplexities
        assert item.priority == pytest.approx(current[item.episode.uid], rel=1e-5)
    rejected = [uid for uid in ("6", "7") if uid not in kept]  # the last batch met the final ranking
    assert all(min(current[uid] for uid in kept) >= current[uid] - 1e-6 for uid in rejected)
    first = learner.retrieve(2)
    assert [i.priority for i in first] == sorted((i.priority for i in learner.memory.items), reverse=True)[:2]


def test_perplexity_is_exp_of_the_mean_negative_log_likelihood():
    agent, learner = make("perpr")
    episode = varied_episode("x", [0, 2, 3])
    batch = learner.forward([episode])
    log_probs = batch.logits.log_softmax(-1).gather(1, batch.targets[:, None]).squeeze(1)
    assert episode_perplexities(batch)[0] == pytest.approx(math.exp(-log_probs.mean().item()), rel=1e-5)


def test_mir_replays_the_episodes_whose_loss_rises_most_and_restores_the_weights():
    agent, learner = make("mir", batch_size=4, stream_batch=2, memory_size=6, mir_candidates=6, lr=0.5)
    for i in range(6):
        learner.memory.add(MemoryItem(varied_episode(f"m{i}", [(i + k) % 4 for k in range(3)])))
    learner.pending = [varied_episode("s0", [1, 1, 1]), varied_episode("s1", [1, 1])]
    before_weights = copy.deepcopy(agent.state_dict())
    chosen = learner.retrieve(2)
    assert all(torch.equal(v, agent.state_dict()[k]) for k, v in before_weights.items())
    # The same look-ahead by hand, on a copy of the policy.
    shadow = copy.deepcopy(agent)
    _, helper = make("er")
    helper.agent = shadow
    candidates = list(learner.memory.items)
    stream = helper.forward(learner.pending)
    imitation_loss(stream.logits, stream.targets).backward()
    with torch.no_grad():
        before = episode_losses(helper.forward([c.episode for c in candidates]))
        for p in shadow.parameters():
            if p.grad is not None:
                p -= 0.5 * p.grad
        after = episode_losses(helper.forward([c.episode for c in candidates]))
    rise = (after - before).tolist()
    expected = sorted(range(6), key=lambda i: -rise[i])[:2]
    assert {c.episode.uid for c in chosen} == {candidates[i].episode.uid for i in expected}


def test_agem_projection_removes_only_the_conflicting_component():
    g, ref = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])
    assert torch.allclose(project(g, ref), torch.tensor([0.5, 0.5]))
    assert torch.dot(project(g, ref), ref).item() == pytest.approx(0.0, abs=1e-7)
    compatible = torch.tensor([0.0, 2.0])
    assert torch.equal(project(compatible, ref), compatible)


def test_agem_step_never_points_against_the_reference_gradient():
    agent, learner = make("agem", batch_size=4, stream_batch=2, memory_size=4, clip_grad=1e9)
    for i in range(4):
        learner.memory.add(MemoryItem(varied_episode(f"m{i}", [(i + k) % 4 for k in range(3)])))
    learner.pending = [varied_episode("s0", [2, 2, 2]), varied_episode("s1", [3, 3])]
    items = learner.retrieve(2)
    params = [p for p in agent.parameters() if p.requires_grad]
    stream, replay = learner.forward_split(learner.pending, items)
    reference = torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(
        torch.autograd.grad(imitation_loss(replay.logits, replay.targets), params, retain_graph=True,
                            allow_unused=True), params)])
    learner.step(stream, replay, items)
    applied = torch.cat([p.grad.reshape(-1) for p in params])
    assert torch.dot(applied, reference).item() >= -1e-6 * applied.norm().item() * reference.norm().item()


def test_kl_distillation_matches_a_hand_computed_value():
    mask = torch.ones(1, 2, dtype=torch.bool)
    value = kl_distillation(torch.tensor([[math.log(3.0), 0.0]]), torch.zeros(1, 2), mask, temperature=1.0)
    assert value.item() == pytest.approx(0.5 * math.log(4 / 3), rel=1e-5)


@pytest.mark.parametrize("distill", ["mse", "kl"])
def test_esr_replays_its_own_logits_not_the_labels(distill):
    agent, learner = make("esr", batch_size=4, stream_batch=2, memory_size=4, distill=distill)
    learner.observe([varied_episode("a", [0, 1, 2]), varied_episode("b", [3, 3])])
    item = learner.memory.items[0]
    stream, replay = learner.forward_split([varied_episode("c", [1])], [item])
    item.logits = replay.logits.detach()[:, : item.logits.shape[1]].clone()  # targets equal the policy now
    loss = learner.loss(stream, replay, [item])
    assert loss.item() == pytest.approx(imitation_loss(stream.logits, stream.targets).item(), rel=1e-6)
    item.logits = item.logits + torch.tensor([5.0, 0.0, 0.0, 0.0])[: item.logits.shape[1]]
    assert learner.loss(stream, replay, [item]).item() > loss.item()


def test_lwf_distils_a_frozen_snapshot_taken_every_period():
    agent, learner = make("lwf", batch_size=2, stream_batch=2, online_iter=1, snapshot_period=4)
    learner.observe([toy_episode("a"), toy_episode("b")])
    assert learner.teacher is None and len(learner.memory) == 0
    learner.observe([toy_episode("c"), toy_episode("d")])  # 4 samples: snapshot after the first update
    assert learner.teacher is not None and learner.snapshot_at == 4
    assert not any(p.requires_grad for p in learner.teacher.parameters())
    changed = [not torch.equal(p, q) for p, q in zip(agent.parameters(), learner.teacher.parameters())]
    assert any(changed), "the policy moved on after the snapshot; the teacher did not"
    state = learner.state_dict()
    _, fresh = make("lwf", snapshot_period=4)
    fresh.load_state_dict(copy.deepcopy(state))
    assert all(torch.equal(p, q) for p, q in zip(fresh.teacher.parameters(), learner.teacher.parameters()))


def test_bad_learner_options_name_the_value():
    from clsim.learners.esr import ESRConfig
    from clsim.learners.lwf import LwFConfig

    with pytest.raises(ValueError, match="distill must be 'mse' or 'kl', got 'l2'"):
        ESRConfig(distill="l2")
    with pytest.raises(ValueError, match="snapshot_period must be >= 1, got 0"):
        LwFConfig(snapshot_period=0)
    with pytest.raises(ValueError, match="stream_batch must be in 1..batch_size"):
        ESRConfig(stream_batch=9)


@pytest.mark.parametrize("name", learner_names())
def test_every_learner_declares_settings_the_command_line_can_set(name):
    from clsim.options import parse_options

    cls = settings_class(get_learner(name))
    defaults = cls()
    options = [f"{f.name}={getattr(defaults, f.name)}" for f in fields(cls)]
    assert cls(**parse_options(options, cls, name)) == defaults, "every setting round-trips through KEY=VALUE"


# joint learns at the end; icl learns only what its language model makes of examples in the prompt, and a test
# has no pretrained one (tests/learners/test_icl.py checks its retrieval, budget and token count)
@pytest.mark.parametrize("name", [n for n in learner_names("demonstrations") if n not in ("joint", "icl")])
def test_every_online_learner_learns_the_episodes_it_trains_on(name):
    agent, learner = make(name, batch_size=4, stream_batch=2, online_iter=6, memory_size=4, lr=3e-3)
    episodes = [varied_episode(str(i), [i % 4, (i + 1) % 4]) for i in range(4)]
    learner.observe(episodes[:2])
    latest = episodes[2:]
    before = episode_losses(learner.forward(latest)).mean().item()  # just before training on them
    learner.observe(latest)
    assert episode_losses(learner.forward(latest)).mean().item() < before
    assert get_learner(name).name == name


def test_ewcpp_tracks_an_online_fisher_and_pulls_towards_its_anchor():
    agent, learner = make("ewc++", batch_size=2, stream_batch=2, online_iter=1, snapshot_period=2,
                          ewc_lambda=50.0, ewc_decay=0.5, clip_grad=1e9)
    learner.observe([varied_episode("a", [0, 1]), varied_episode("b", [2])])  # 2 updates; anchor after the 1st
    assert learner.anchor and learner.snapshot_at == 2
    name, param = next((n, p) for n, p in agent.named_parameters() if learner.anchor_fisher[n].abs().sum() > 0)
    fisher_before = learner.fisher[name].clone()
    anchor, anchor_fisher = learner.anchor[name].clone(), learner.anchor_fisher[name].clone()
    weights = param.detach().clone()
    stream = learner.forward([varied_episode("c", [3, 3])])
    (plain,) = torch.autograd.grad(imitation_loss(stream.logits, stream.targets), [param], retain_graph=True)
    learner.step(stream, None, [])
    assert torch.allclose(learner.fisher[name], 0.5 * fisher_before + 0.5 * plain**2, atol=1e-9)
    assert torch.allclose(param.grad, plain + 2 * 50.0 * anchor_fisher * (weights - anchor), atol=1e-7)
    assert not torch.equal(weights, anchor), "the weights moved off the anchor, so the pull is not trivially zero"


def test_ewcpp_replays_like_cl_alfreds_and_starts_its_fisher_at_the_first_squared_gradient():
    from clsim.learners.ewcpp import EWCConfig

    assert (EWCConfig().ewc_lambda, EWCConfig().ewc_decay) == (100.0, 0.5), "CL-ALFRED's reg_coef and alpha"
    agent, learner = make("ewc++", batch_size=4, stream_batch=2, online_iter=1, memory_size=4, clip_grad=1e9)
    first = learner.forward([varied_episode("a", [0, 1]), varied_episode("b", [2])])
    grads = torch.autograd.grad(imitation_loss(first.logits, first.targets),
                                [p for n, p in agent.named_parameters() if n in learner.fisher], allow_unused=True,
                                retain_graph=True)
    learner.step(first, None, [])
    for (name, fisher), grad in zip(learner.fisher.items(), grads):
        assert torch.allclose(fisher, torch.zeros_like(fisher) if grad is None else grad**2, atol=1e-9), name
    learner.observe([varied_episode("a", [0, 1]), varied_episode("b", [2])])
    learner.observe([varied_episode("c", [3]), varied_episode("d", [1])])
    assert len(learner.memory) == 4, "EWC++ keeps an episodic memory and replays it"
    _, alone = make("ewc++-noreplay", batch_size=4, stream_batch=2, online_iter=1, memory_size=4)
    alone.observe([varied_episode("a", [0, 1]), varied_episode("b", [2])])
    assert len(alone.memory) == 0


def test_joint_trains_only_when_the_stream_ends_then_over_all_of_it():
    agent, learner = make("joint", batch_size=2, stream_batch=2, joint_epochs=3)
    episodes = [varied_episode(str(i), [i % 4, (i + 2) % 4]) for i in range(5)]
    before = copy.deepcopy(agent.state_dict())
    learner.observe(episodes)
    assert learner.updates == 0 and all(torch.equal(v, agent.state_dict()[k]) for k, v in before.items())
    learner.flush()
    assert learner.updates == 3 * 3  # 3 epochs of ceil(5 / 2) batches
    learner.flush()
    assert learner.updates == 9, "no new data, no more training"


def test_buffer_bytes_count_episode_text_stored_logits_and_snapshots():
    from clsim.learners.memory import episode_nbytes

    episodes = [varied_episode("a", [0, 1, 2]), varied_episode("b", [3])]
    text = sum(episode_nbytes(e) for e in episodes)
    assert text == sum(len(t.encode()) for e in episodes for t in
                       [e.instruction, *(s.observation for s in e.steps), *(c for s in e.steps for c in s.candidates)])
    _, er = make("er", batch_size=4, stream_batch=2, memory_size=4)
    er.observe(episodes)
    assert er.buffer_bytes() == text
    _, der = make("der++", batch_size=4, stream_batch=2, memory_size=4)
    der.observe(episodes)
    assert der.buffer_bytes() == text + (3 + 1) * 4 * 4  # [steps, 4 candidates] float32 logits
    agent, ewc = make("ewc++-noreplay", batch_size=2, stream_batch=2, online_iter=1, snapshot_period=2)
    ewc.observe(episodes)
    assert ewc.buffer_bytes() == 3 * 4 * sum(p.numel() for p in agent.parameters())  # Fisher, anchor, its Fisher
    agent, ewc = make("ewc++", batch_size=2, stream_batch=2, online_iter=1, snapshot_period=2, memory_size=4)
    ewc.observe(episodes)
    assert ewc.buffer_bytes() == text + 3 * 4 * sum(p.numel() for p in agent.parameters())


def test_xder_keeps_the_expert_action_on_top_by_shifting_the_others():
    from clsim.learners.derpp_rewrite import keep_truth_on_top

    neg = -1e9
    logits = torch.tensor([[2.0, 3.0, 0.0, neg], [5.0, 1.0, 0.5, neg], [0.0, -1.0, -0.5, 4.0]])
    valid = torch.tensor([[True, True, True, False], [True, True, True, False], [True, True, True, True]])
    targets = torch.tensor([0, 0, 1])
    out = keep_truth_on_top(logits, targets, valid, margin=1.0)
    # row 0: best other 3.0, shift 3 - 2 + 1 = 2; row 1 already leads by 4 > 1; row 2: shift 4 - (-1) + 1 = 6
    assert torch.allclose(out, torch.tensor([[2.0, 1.0, -2.0, neg], [5.0, 1.0, 0.5, neg], [-6.0, -1.0, -6.5, -2.0]]))
    assert (out.argmax(1) == targets).all()


def test_xder_rewrites_only_the_logits_stored_since_its_last_rewrite():
    agent, learner = make("der++-rewrite", batch_size=2, stream_batch=2, online_iter=1, memory_size=10, snapshot_period=4,
                          xder_margin=0.5)
    learner.observe([toy_episode("a", 3), toy_episode("b", 3)])  # 2 samples: stored with their update's logits
    first = {item.episode.uid: item.logits.clone() for item in learner.memory.items}
    assert learner.fresh == {"a", "b"} and learner.refreshed_at == 0
    learner.observe([toy_episode("c", 3), toy_episode("d", 3)])  # 4 samples: a..d are rewritten
    assert learner.refreshed_at == 4 and learner.fresh == set()
    with torch.no_grad():
        batch = learner.forward([item.episode for item in learner.memory.items])
    expected = batch.rows_to_store(keep_truth_on_top_reference(batch.logits, batch.targets, batch.mask, 0.5))
    for item, rows in zip(learner.memory.items, expected):
        assert torch.allclose(item.logits, rows, atol=1e-6), item.episode.uid
    assert not torch.allclose(learner.memory.items[0].logits, first["a"]), "a was stored before its segment trained"
    rewritten = {item.episode.uid: item.logits.clone() for item in learner.memory.items}
    learner.observe([toy_episode("e", 3), toy_episode("f", 3)])
    kept = {item.episode.uid: item.logits.clone() for item in learner.memory.items}
    assert learner.fresh == {"e", "f"}
    assert all(torch.equal(kept[uid], rewritten[uid]) for uid in "abcd"), "older targets stay as rewritten"


def keep_truth_on_top_reference(logits, targets, valid, margin):
    """The X-DER constraint row by row in plain Python, independent of the vectorised version."""
    out = logits.clone()
    for r in range(len(logits)):
        t = int(targets[r])
        others = [k for k in range(logits.shape[1]) if valid[r, k] and k != t]
        if others:
            shift = max(0.0, max(float(logits[r, k]) for k in others) - float(logits[r, t]) + margin)
            for k in others:
                out[r, k] = logits[r, k] - shift
    return out


def test_clib_trains_on_memory_only_and_credits_the_memorys_loss_change_to_the_trained_batch():
    agent, learner = make("clib", batch_size=3, stream_batch=1, online_iter=1, memory_size=5)
    seen = []
    original = learner.forward
    learner.forward = lambda episodes: seen.append([e.uid for e in episodes]) or original(episodes)
    learner.observe([toy_episode(u, 2) for u in "abc"])
    learner.forward = original
    assert [item.episode.uid for item in learner.memory.items] == ["a", "b", "c"]
    assert learner.updates == 3, "one update per episode as it arrives (online_iter 1)"
    batches, measured = seen[0::2], seen[1::2]  # each update, then the whole memory's losses
    assert [sorted(b) for b in batches] == [["a"], ["a", "b"], ["a", "b", "c"]], "from memory, the newcomer in it"
    assert measured == [["a"], ["a", "b"], ["a", "b", "c"]]
    items = learner.memory.items
    before, previous = [item.priority for item in items], list(learner.losses)
    learner.update_on([0, 2])
    with torch.no_grad():
        now = episode_losses(learner.forward([i.episode for i in items])).tolist()
    change = sum(n - p for n, p in zip(now, previous)) / 3
    difference = change - (before[0] + before[2]) / 2 / 2
    expected = [before[0] - 0.1 * difference, before[1], before[2] - 0.1 * difference]
    assert [item.priority for item in items] == pytest.approx(expected, abs=1e-6)


def test_clib_evicts_the_least_important_episode_of_the_most_frequent_label():
    agent, learner = make("clib", memory_size=4)
    for uid, label, priority in zip("abcd", ["heat", "heat", "heat", "cool"], (0.3, -0.2, 0.8, -0.9)):
        learner.label(uid, label)
        learner.admit(toy_episode(uid, 1))
        learner.memory.items[-1].priority = priority
    learner.label("e", "cool")
    learner.admit(toy_episode("e", 1))  # heat holds 3, cool 1 + 1: heat's least important (b) leaves
    assert [item.episode.uid for item in learner.memory.items] == ["a", "e", "c", "d"]
    assert learner.memory.items[1].priority == pytest.approx(-0.9), "a newcomer starts at its label's mean"
    learner.label("f", "clean")
    learner.admit(toy_episode("f", 1))  # heat 2, cool 2, clean 1: heat was stored first, its least (a) leaves
    assert [item.episode.uid for item in learner.memory.items] == ["f", "e", "c", "d"]
    assert learner.memory.items[0].priority == pytest.approx((0.3 - 0.9 + 0.8 - 0.9) / 4), "first of its label"
    assert learner.memory.seen == 6 and learner.slot_labels == ["clean", "cool", "heat", "cool"]


def test_clibs_one_sided_test_matches_scipys_and_steps_the_rates_towards_the_better_one():
    from clsim.learners.clib import welch_greater_p

    # scipy.stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue for these samples
    assert welch_greater_p([3.0, 4.0, 5.0], [1.0, 2.0, 3.0]) == pytest.approx(0.03524199845510996, rel=1e-6)
    assert welch_greater_p([1.0, 2.0, 3.5, 2.0], [1.0, 2.0, 3.0, 9.0]) == pytest.approx(0.7798079569843949, rel=1e-6)
    assert math.isnan(welch_greater_p([1.0, 1.0], [1.0, 1.0]))
    agent, learner = make("clib", lr=1e-3)
    learner.decreases = {"high": [0.1 + 0.01 * i for i in range(10)], "low": [0.5 + 0.01 * i for i in range(9)]}
    learner.windows, learner.window_losses, learner.losses = 29, [1.0], [0.4]  # a low window ends: decrease 0.6
    learner.lr_is_high = False
    learner.adapt_lr()
    assert (learner.high_lr, learner.low_lr) == pytest.approx((0.95e-3, 0.95**2 * 1e-3)), "the low rate won"
    assert learner.decreases == {"high": [], "low": []}
    assert learner.optimizer.param_groups[0]["lr"] == pytest.approx(0.95**2 * 1e-3)


@pytest.mark.parametrize("name", [n for n in learner_names("demonstrations") if n not in ("joint", "icl")])  # icl:
def test_every_learner_continues_from_its_state_dict_as_if_never_stopped(name):  # its agent's checkpoint, test_icl
    episodes = [varied_episode(str(i), [i % 4, (i + 1) % 4, (i + 2) % 4]) for i in range(8)]
    settings = dict(batch_size=4, stream_batch=2, online_iter=1.5, memory_size=3, snapshot_period=2,
                    mir_candidates=2)
    settings = {k: v for k, v in settings.items() if k in {f.name for f in fields(settings_class(get_learner(name)))}}
    agent, uninterrupted = make(name, **settings)
    uninterrupted.observe(episodes)
    _, first_half = make(name, **settings)
    first_half.observe(episodes[:4])
    state = copy.deepcopy(first_half.state_dict())
    resumed_agent, resumed = make(name, **settings)
    resumed.load_state_dict(state)
    resumed.observe(episodes[4:])
    for (key, a), b in zip(agent.state_dict().items(), resumed_agent.state_dict().values()):
        assert torch.equal(a, b), f"{name}: {key} differs after resuming"
