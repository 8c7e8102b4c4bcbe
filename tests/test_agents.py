"""Agents: LMPolicy scoring contract, determinism and checkpoint round-trip; baselines."""

import torch

from clsim.agents import Agent, ExpertAgent, LMPolicy, LMPolicyConfig, RandomAgent
from clsim.eval.episodes import score
from clsim.eval.rollout import rollout

TINY = LMPolicyConfig(hidden=16, layers=1, heads=2, intermediate=32, word_dim=8)


def observations(household, n=6):
    task = household.make_tasks("pick_and_place_simple", "kitchen", "train", 1, 0)[0]
    return household.demonstrate(task).episode().observations()[:n]


def test_lm_policy_scores_each_candidate_and_is_seeded(household):
    obs = observations(household)
    a = LMPolicy(household.vocabulary(), TINY, seed=1)
    b = LMPolicy(household.vocabulary(), TINY, seed=1)
    assert isinstance(a, Agent)
    scores = a.scores(obs)
    assert [len(s) for s in scores] == [len(o["candidates"]) for o in obs]
    assert all(torch.equal(x, y) for x, y in zip(scores, b.scores(obs)))
    assert not torch.equal(scores[0], LMPolicy(household.vocabulary(), TINY, seed=2).scores(obs)[0])
    actions = a.act(obs)
    assert all(0 <= i < len(o["candidates"]) for i, o in zip(actions, obs))


def test_lm_policy_tokenizer_covers_the_world(household):
    obs = observations(household, 20)
    policy = LMPolicy(household.vocabulary(), TINY)
    texts = [o["observation"] for o in obs] + [o["instruction"] for o in obs] + [c for o in obs for c in o["candidates"]]
    assert policy.tokenizer.unknown_rate(texts) == 0.0


def test_lm_policy_state_dict_round_trip(household):
    obs = observations(household)
    a = LMPolicy(household.vocabulary(), TINY, seed=1)
    b = LMPolicy(household.vocabulary(), TINY, seed=7)
    b.load_state_dict(a.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(a.scores(obs), b.scores(obs)))


def test_expert_agent_succeeds_and_random_agent_does_not(household):
    tasks = household.make_tasks("pick_clean_then_place_in_recep", "bathroom", "seen", 4, 0)
    assert score(rollout(household, ExpertAgent(), tasks)).sr == 1.0
    random_scores = score(rollout(household, RandomAgent(seed=0), tasks, max_steps=40))
    assert random_scores.sr == 0.0 and random_scores.episodes == 4
