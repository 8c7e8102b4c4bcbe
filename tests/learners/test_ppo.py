"""The stable-baselines3 PPO learner: tokenising wrapper, the agent as PPO's actor, continual practice, resume."""

import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from clsim.agents import LMPolicyConfig, make_agent
from clsim.agents.sb3 import AgentActorCritic, CandidateArrays, TokenizedCandidates, decode_observations
from clsim.cli.app import app
from clsim.envs import get_family
from clsim.eval.checkpoints import restore_rng, rng_state
from clsim.experiment import RunConfig
from clsim.learners import LearnerConfig, get_learner
from clsim.learners.ppo import PPOConfig
from clsim.learners.ppo_envs import PoolVecEnv, TaskPool

pytest.importorskip("sb3_contrib")

SMALL = PPOConfig(steps_per_task=12, ppo_envs=2, ppo_max_steps=12, ppo_epochs=2, ppo_minibatch=12,
                  stream_batch=2)


def seed_everything(seed: int) -> None:
    np.random.seed(seed)
    torch.manual_seed(seed)


def as_batch(observation: dict) -> dict:
    return {k: torch.as_tensor(np.asarray(v))[None].float() for k, v in observation.items()}  # as SB3 feeds them


@pytest.fixture(scope="module")
def tasks(household):
    return household.make_tasks("pick_and_place_simple", "kitchen", "train", 6, 0)


def test_tokenised_observations_decode_to_the_same_scores_and_masks_are_the_candidates(household, tasks):
    env = TokenizedCandidates(household.make_env(), household.vocabulary())
    raw_env = household.make_env()
    agent = make_agent("lm", household.vocabulary(), LMPolicyConfig(), 0, {})
    agent.eval()
    encoded, _ = env.reset(options={"task": tasks[0]})
    raw, info = raw_env.reset(options={"task": tasks[0]})
    for action in (0, 1, 2):
        assert env.observation_space.contains(encoded)
        assert np.array_equal(env.action_masks(), info["action_mask"].astype(bool))
        decoded = decode_observations(as_batch(encoded), env.tokenizer.words)[0]
        assert len(decoded["candidates"]) == len(raw["candidates"])
        with torch.no_grad():
            assert torch.allclose(agent.scores([decoded])[0], agent.scores([raw])[0], atol=1e-5)
        encoded, *_ = env.step(action)
        raw, _, _, _, info = raw_env.step(action)


class PoolReset(gym.Wrapper):
    """What PPO vectorised before PoolVecEnv: every reset starts the pool's next task."""

    def __init__(self, env, pool):
        super().__init__(env)
        self.pool = pool

    def reset(self, *, seed=None, options=None):
        return self.env.reset(seed=seed, options={"task": self.pool.next()})


@pytest.mark.parametrize("world", ["household", "navigation"])
def test_ppo_envs_step_exactly_as_sb3s_dummy_vec_env_over_the_gymnasium_env(world):
    """Same observations, masks, rewards, dones, truncation flags and terminal observations, step for step."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    family = get_family(world)
    behavior = "pick_and_place_simple" if world == "household" else "instruction"
    tasks = family.make_tasks(behavior, family.environments[0], "train", 3, 0)
    arrays = CandidateArrays(family.vocabulary(), int(family.make_env().action_space.n))
    pools = TaskPool(), TaskPool()
    for pool in pools:
        pool.replace(tasks)
    ours = PoolVecEnv(family, 2, pools[0], arrays, max_steps=8)
    theirs = DummyVecEnv([lambda: TokenizedCandidates(PoolReset(family.make_env(max_steps=8), pools[1]),
                                                      family.vocabulary())] * 2)
    rng = np.random.default_rng(0)
    observations = ours.reset(), theirs.reset()
    ended = 0
    for _ in range(30):
        for key in observations[1]:
            assert np.array_equal(observations[0][key], observations[1][key]), key
        masks = np.stack(ours.env_method("action_masks")), np.stack(theirs.env_method("action_masks"))
        assert np.array_equal(*masks)
        actions = np.array([rng.choice(np.flatnonzero(mask)) for mask in masks[0]])
        (obs_a, rew_a, done_a, info_a), (obs_b, rew_b, done_b, info_b) = ours.step(actions), theirs.step(actions)
        observations = obs_a, obs_b
        assert np.array_equal(rew_a, rew_b) and rew_a.dtype == rew_b.dtype and np.array_equal(done_a, done_b)
        for a, b in zip(info_a, info_b):
            assert a["TimeLimit.truncated"] == b["TimeLimit.truncated"]
            assert ("terminal_observation" in a) == ("terminal_observation" in b)
            for key, value in a.get("terminal_observation", {}).items():
                assert np.array_equal(value, b["terminal_observation"][key])
        ended += int(done_a.sum())
    assert ended >= 4 and pools[0].cursor == pools[1].cursor


def test_a_text_longer_than_its_array_is_refused_with_the_field_and_limit(household, tasks):
    env = TokenizedCandidates(household.make_env(), household.vocabulary(), observation_words=20)
    with pytest.raises(ValueError, match="observation of .* words exceeds the wrapper's observation_words=20"):
        env.reset(options={"task": tasks[0]})


def test_ppo_trains_exactly_the_agent_the_evaluator_rolls_out(household, tasks):
    """The policy's log-probabilities are the agent's masked log-softmax: PPO's actor is the agent."""
    learner = get_learner("ppo")(make_agent("lm", household.vocabulary(), LMPolicyConfig(), 0, {}), SMALL, seed=0)
    learner.observe(tasks[:2])
    policy = learner.model.policy
    assert isinstance(policy, AgentActorCritic) and policy.agent is learner.agent
    env = learner.model.env
    encoded = {key: value[0] for key, value in env.reset().items()}
    raw = decode_observations(as_batch(encoded), env.arrays.tokenizer.words)[0]
    mask = env.env_method("action_masks")[0][None]
    actions = torch.arange(len(raw["candidates"]))
    batch = {k: v.expand(len(actions), *v.shape[1:]) for k, v in as_batch(encoded).items()}
    _, log_prob, _ = policy.evaluate_actions(batch, actions, np.repeat(mask, len(actions), 0))
    expected = torch.log_softmax(learner.agent.scores([raw])[0], -1)
    assert torch.allclose(log_prob, expected, atol=1e-5)


def test_ppo_learns_from_reward_and_resumes_to_the_same_weights(household, tasks):
    def fresh():
        return get_learner("ppo")(make_agent("lm", household.vocabulary(), LMPolicyConfig(), 0, {}), SMALL, seed=0)

    seed_everything(0)
    whole = fresh()
    before = {k: v.clone() for k, v in whole.agent.state_dict().items()}
    whole.observe(tasks[:4])
    assert whole.updates == 2 * SMALL.ppo_epochs * 2  # 2 batches x epochs x (24 steps / 12 per minibatch)
    assert any(not torch.equal(before[k], v) for k, v in whole.agent.state_dict().items())

    seed_everything(0)
    first = fresh()
    first.observe(tasks[:2])
    state, rng = first.state_dict(), rng_state()  # what a checkpoint holds (SB3 shuffles minibatches with numpy)
    resumed = fresh()
    resumed.load_state_dict(state)
    restore_rng(rng)
    resumed.observe(tasks[2:4])
    for key, value in whole.agent.state_dict().items():
        assert torch.equal(value, resumed.agent.state_dict()[key]), key
    assert resumed.updates == whole.updates and resumed.samples_seen == 4


def test_clsim_train_runs_ppo_on_a_task_stream(tmp_path):
    result = CliRunner().invoke(app, [
        "train", "--learner", "ppo", "--per-segment", "2", "--eval-every", "2", "--eval-episodes", "1",
        "--max-steps", "6", "--learner-option", "steps_per_task=6", "--learner-option", "ppo_max_steps=6",
        "--learner-option", "ppo_envs=2", "--learner-option", "ppo_minibatch=12", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert len(summary["segments"]) == 7 and summary["cost"]["updates"] == 3 * 8 + 4  # batches of 4, 4, 4, 2 tasks
    assert (tmp_path / "run" / "checkpoints" / "final.safetensors").exists()


def test_ppo_without_stable_baselines3_fails_before_the_run_naming_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sb3(name, *args, **kwargs):
        if name.startswith("sb3_contrib"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sb3)
    with pytest.raises(ValueError, match=r"needs sb3_contrib: pip install 'clsim\[rl\]'"):
        RunConfig(learner="ppo").validate()


def test_a_feedback_learner_is_refused_by_train_with_a_pointer_to_clsim_feedback():
    with pytest.raises(ValueError, match="learns from feedback, but clsim train streams demonstrations or reward"):
        RunConfig(learner="bandit").validate()


@pytest.mark.slow
def test_ppo_learns_to_solve_navigation_tasks_it_practises():
    """The reward signal reaches the agent: two route instructions practised in turn are solved greedily."""
    from clsim.envs import get_family
    from clsim.eval.rollout import rollout

    navigation = get_family("navigation")
    tasks = navigation.make_tasks("instruction", "home", "train", 2, 0)
    seed_everything(0)
    learner = get_learner("ppo")(make_agent("lm", navigation.vocabulary(), LMPolicyConfig(), 0, {}), LearnerConfig(),
                                 seed=0)
    assert not any(r.success for r in rollout(navigation, learner.agent, tasks, max_steps=60))
    for _ in range(9):
        learner.observe([tasks[0], tasks[1], tasks[0], tasks[1]])
    assert all(r.success for r in rollout(navigation, learner.agent, tasks, max_steps=60))


def test_ppo_acts_at_the_level_of_the_tasks_world(household):
    high = get_family("household-hl")
    tasks = high.make_tasks("pick_and_place_simple", "kitchen", "train", 2, 0)
    learner = get_learner("ppo")(make_agent("lm", high.vocabulary(), LMPolicyConfig(), 0, {}), SMALL, seed=0)
    learner.observe(tasks)
    assert learner.world == "household-hl" and learner.model.env.episodes[0].action_level == "high"
