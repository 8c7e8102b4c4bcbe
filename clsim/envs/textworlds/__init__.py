"""The text-game suites researchers already use, as clsim worlds: their games as behaviors, their variation
axes as environments, their own experts and scores. Each needs its package (``pip install
'clsim[textworlds]'``); TextWorldExpress and ScienceWorld also need a Java runtime. BabyAI
(minigrid) is a grid world: clsim renders its view as egocentric text."""

from __future__ import annotations

from .babyai import BabyAIEnv, BabyAIFamily
from .scienceworld import ScienceWorldEnv, ScienceWorldFamily
from .tw import TextWorldEnv, TextWorldFamily
from .twx import TextWorldExpressEnv, TwxFamily

__all__ = ["BabyAIEnv", "BabyAIFamily", "ScienceWorldEnv", "ScienceWorldFamily", "TextWorldEnv", "TextWorldExpressEnv",
           "TextWorldFamily", "TwxFamily"]
