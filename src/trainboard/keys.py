"""Kept for imports made before `trainboard.roles`: what any key means is decided there."""

from __future__ import annotations

from trainboard.roles import is_system

__all__ = ["is_system"]
