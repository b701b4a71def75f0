"""Moved to ``noc_actors.runtime.loops`` (loops belong to the host-independent
runtime); kept so existing imports (the Serve app's) keep working."""

from noc_actors.runtime.loops import PeriodicLoop, seconds_until

__all__ = ["PeriodicLoop", "seconds_until"]
