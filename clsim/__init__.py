"""clsim: embodied and online continual learning.

Importing clsim registers its worlds with Gymnasium (``gymnasium.make("clsim/Household-v0")``), as
``import minigrid`` does for MiniGrid's.
"""

from . import envs  # noqa: F401  (registers the clsim/... Gymnasium ids)

__version__ = "0.1.0"
