"""Metric names with a meaning of their own, in one place for the SDK, analysis and server."""

from __future__ import annotations

SYSTEM_PREFIX = "sys/"  # the SDK's system metrics: sys/cpu_percent, sys/gpu0/util, ...
_SYSTEM_PREFIXES = (SYSTEM_PREFIX, "system/")  # "system/": wandb-style imports


def is_system(key: str) -> bool:
    """True for system metrics (CPU, RAM, GPU), which are never a training step's clock, a
    loss to rank by, or a value to carry over on resume."""
    return key.startswith(_SYSTEM_PREFIXES)
