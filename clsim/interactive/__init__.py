"""Interactive learning: agents deployed on tasks, simulated users' binary feedback, rounds of updates."""

from .deploy import Interaction, deploy
from .user import FeedbackConfig, SimulatedUser, judge, propagate

__all__ = ["FeedbackConfig", "Interaction", "SimulatedUser", "deploy", "judge", "propagate"]
