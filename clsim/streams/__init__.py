"""Task-free online streams: setups (behavior-il, environment-il), streams and eval suites."""

from .setups import SETUPS, Setup, get_setup, setup_names
from .stream import Stream, StreamItem

__all__ = ["SETUPS", "Setup", "Stream", "StreamItem", "get_setup", "setup_names"]
