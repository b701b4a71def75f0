"""Small facts about the current actor process."""

from __future__ import annotations

import warnings

import ray


def was_restarted() -> bool:
    """True when Ray restarted this actor (it reloads its state on start).

    Ray 2.60 reads a deprecated property inside this call; the warning is
    Ray's own, so it is silenced here rather than in every log."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return bool(ray.get_runtime_context().was_current_actor_reconstructed)
