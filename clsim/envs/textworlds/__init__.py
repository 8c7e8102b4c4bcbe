"""The text-game suites researchers already use, as clsim worlds: their games as behaviors, their variation
axes as environments, their own experts and scores. Each needs its package (``pip install
'clsim[textworlds]'``); TextWorldExpress also needs a Java runtime."""

from __future__ import annotations

from .twx import TextWorldExpressEnv, TwxFamily

__all__ = ["TextWorldExpressEnv", "TwxFamily"]
