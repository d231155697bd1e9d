"""`trainboard demo`: train a small character-level GPT on the CPU while trainboard shows it
live, in the terminal (the `watch` view) and, unless asked not to, in the dashboard.

The CLI drives it (trainboard.cli.demo_run); this package never imports the CLI. torch is
imported only when the demo runs (trainboard.demo.train / .model)."""

from __future__ import annotations

from trainboard.demo.dashboard import Dashboard, free_port

__all__ = ["Dashboard", "free_port"]
