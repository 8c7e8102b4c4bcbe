"""Task-free online streams: setups (behavior-il, environment-il), streams and eval suites."""

from .blurry import Blurry
from .setups import SETUPS, Setup, get_setup, setup_names
from .stream import Stream, StreamItem

__all__ = ["SETUPS", "Blurry", "Setup", "Stream", "StreamItem", "get_setup", "setup_names"]
