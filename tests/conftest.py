"""What the test modules share: the household world (a fixture), tiny run options, CLI output as text, and small
learners on toy episodes (helpers, imported as ``from conftest import ...``)."""

import pytest
from typer.testing import CliRunner

from clsim.agents import LMPolicy, LMPolicyConfig
from clsim.agents.knn import KNNPolicy
from clsim.cli.app import app
from clsim.envs import get_family
from clsim.envs.core import Episode, Step
from clsim.learners import get_learner, settings_class

TINY = ["--per-segment", "2", "--eval-every", "3", "--eval-episodes", "1", "--max-steps", "6",
        "--online-iter", "1", "--memory-size", "4"]  # the options of a run that takes seconds
TINY_POLICY = LMPolicyConfig(hidden=16, layers=1, heads=2, intermediate=32, word_dim=8)


@pytest.fixture(scope="session")
def household():
    return get_family("household")


def text(result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def train(tmp_path, name, *extra):
    """`clsim train` on a tiny Environment-IL run into tmp_path / name."""
    return CliRunner().invoke(app, ["train", "--setup", "environment-il", "--out", str(tmp_path / name), *TINY, *extra])


def toy_episode(uid: str, length: int = 3) -> Episode:
    steps = tuple(Step(f"kitchen . holding nothing looking level . apple {i} at counter 1 ahead left {i} face "
                       "left level .", ("MoveAhead", "RotateLeft", "PickupObject apple 1", "Stop"), i % 4)
                  for i in range(length))
    return Episode(uid, "put an apple on the counter .", steps)


def make(name: str, **config) -> tuple:
    """A learner of `name` with a small agent: the free-text policy, or a memory for a learner without gradients."""
    cls = get_learner(name)
    words = ["kitchen", "holding", "nothing", "looking", "level", "apple", "at", "counter", "ahead", "left", "face",
             "put", "an", "on", "the", "moveahead", "rotateleft", "pickupobject", "stop", ".", *map(str, range(10))]
    agent = LMPolicy(words, TINY_POLICY, seed=0) if cls.trains_parameters else KNNPolicy(words, seed=0)
    return agent, cls(agent, settings_class(cls)(**config), seed=0)


def follow_expert(observation, info) -> int:
    """The index of the expert's advised action among the candidates (a `choose` for `play_to_end`)."""
    return observation["candidates"].index(info["expert_action"])


def play_to_end(env, task, choose, check=None):
    """Play `task` in `env` to its end with `choose(observation, info) -> action`, calling `check(observation)`
    after every step if given; the final info and the rewards."""
    observation, info = env.reset(options={"task": task})
    rewards, done = [], False
    while not done:
        observation, reward, terminated, truncated, info = env.step(choose(observation, info))
        rewards.append(reward)
        if check is not None:
            check(observation)
        done = terminated or truncated
    return info, rewards
