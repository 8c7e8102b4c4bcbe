"""PPO from the world's reward (stable-baselines3 / sb3-contrib MaskablePPO), continually on a task stream.

Tasks, not demonstrations, arrive. Every `stream_batch` tasks become the pool that the learner
practises for ``steps_per_task`` environment steps each: ``ppo_envs`` environments start the pool's
tasks in turn, and each rollout is one window of ``ppo_max_steps`` (an episode's limit) on every
environment, after which MaskablePPO updates. A batch's practice starts fresh episodes and cuts
those still running at its end (their value is bootstrapped); with the defaults (4 tasks, 4
environments, 60 steps each) that is one full-length attempt per task plus any retry after an
early stop. So a checkpoint between batches holds the whole state, and a resumed run repeats the
same numbers.
The actor is the run's agent itself (see :mod:`clsim.agents.sb3`); the learner never sees a label.
The environments are the world's batched episodes path behind SB3's VecEnv API (:mod:`.ppo_envs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from ..envs import get_family
from ..envs.core import Task
from .base import LearnerConfig, settings_for
from .registry import register

INSTALL_HINT = "pip install 'clsim[rl]' (stable-baselines3 and sb3-contrib)"


@dataclass
class PPOConfig(LearnerConfig):
    steps_per_task: int = 60  # environment steps of practice per arriving task (one full episode's worth)
    ppo_envs: int = 4  # environments stepped together; each rollout runs one ppo_max_steps window on each
    ppo_epochs: int = 4  # passes over each rollout (4 x 60 steps per task ~ an imitation learner's 7 x ~30)
    ppo_minibatch: int = 60  # steps per gradient step
    ppo_lr: float = 3e-4  # Adam learning rate (SB3's default)
    ppo_entropy: float = 0.01  # entropy bonus, keeping the sampled policy exploring
    ppo_max_steps: int = 60  # actions per training episode and rollout window (the evaluator's limit)
    minimums = {"steps_per_task": 1, "ppo_envs": 1, "ppo_epochs": 1, "ppo_minibatch": 1, "ppo_max_steps": 1}


@register
class PPOLearner:
    name = "ppo"
    config_class = PPOConfig
    supports = frozenset({"reward"})

    @staticmethod
    def check_requirements() -> None:
        """Fail before a run starts when stable-baselines3 or sb3-contrib is missing."""
        try:
            import sb3_contrib  # noqa: F401
            import stable_baselines3  # noqa: F401
        except ImportError as error:
            raise ValueError(f"learner 'ppo' needs {error.name}: {INSTALL_HINT}") from error

    def __init__(self, agent: nn.Module, config: LearnerConfig | None = None, seed: int = 0) -> None:
        self.check_requirements()
        self.agent, self.config, self.seed = agent, settings_for(PPOLearner, config), seed
        self.pending: list[Task] = []
        self.samples_seen = self.updates = 0
        self.model: Any = None  # MaskablePPO and its task pool, built on the first task: the task names its world
        self.pool: Any = None
        self.world = ""

    # ----- the learner protocol ------------------------------------------------------------
    def observe(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            self.pending.append(task)
            self.samples_seen += 1
            if len(self.pending) == self.config.stream_batch:
                self._practise()

    def flush(self) -> None:
        if self.pending:
            self._practise()

    def buffer_bytes(self) -> int:
        """PPO keeps no memory across batches; its rollout buffer is refilled every update."""
        return 0

    def state_dict(self) -> dict[str, Any]:
        state = {"pending": list(self.pending), "samples_seen": self.samples_seen, "updates": self.updates,
                 "agent": self.agent.state_dict()}
        if self.model is not None:
            state |= {"critic": self.model.policy.critic.state_dict(),
                      "optimizer": self.model.policy.optimizer.state_dict(),
                      "timesteps": self.model.num_timesteps, "world": self.world}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.agent.load_state_dict(state["agent"])
        self.pending, self.samples_seen, self.updates = list(state["pending"]), state["samples_seen"], state["updates"]
        if "critic" in state:
            self._build(state["world"])
            self.model.policy.critic.load_state_dict(state["critic"])
            self.model.policy.optimizer.load_state_dict(state["optimizer"])
            self.model.num_timesteps = state["timesteps"]

    # ----- machinery -----------------------------------------------------------------------
    def _build(self, world: str) -> None:
        from sb3_contrib import MaskablePPO

        from ..agents.sb3 import AgentActorCritic, CandidateArrays
        from .ppo_envs import PoolVecEnv, TaskPool

        family = get_family(world)
        c = self.config
        probe = family.make_env()
        arrays = CandidateArrays(family.vocabulary(), int(probe.action_space.n))
        probe.close()
        self.pool = TaskPool()
        env = PoolVecEnv(family, c.ppo_envs, self.pool, arrays, c.ppo_max_steps)
        self.model = MaskablePPO(AgentActorCritic, env, learning_rate=c.ppo_lr, n_steps=c.ppo_max_steps,
                                 batch_size=c.ppo_minibatch, n_epochs=c.ppo_epochs, ent_coef=c.ppo_entropy,
                                 policy_kwargs={"agent": self.agent, "words": arrays.tokenizer.words},
                                 device=next(self.agent.parameters()).device, verbose=0)
        self.world = world

    def _practise(self) -> None:
        if self.model is None:
            self._build(self.pending[0].family)
        self.pool.replace(self.pending)
        self.model._last_obs = None  # start fresh episodes on the new pool (see the module doc)
        steps = self.config.steps_per_task * len(self.pending)
        self.model.learn(total_timesteps=steps, reset_num_timesteps=False, log_interval=None)
        c = self.config
        rollout = c.ppo_max_steps * c.ppo_envs
        self.updates += math.ceil(steps / rollout) * c.ppo_epochs * math.ceil(rollout / c.ppo_minibatch)
        self.pending = []
