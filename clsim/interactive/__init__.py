"""Interactive learning: agents deployed on tasks, simulated users' binary feedback, rounds of updates."""

from .deploy import deploy
from .user import FeedbackConfig, SimulatedUser, judge

__all__ = ["FeedbackConfig", "SimulatedUser", "deploy", "judge"]
