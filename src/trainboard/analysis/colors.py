"""A run's colour, derived from its id: the same on every page, figure and report.

Why from the id: a colour chosen by position in a selection changes between comparisons
(lr3e-5 orange in one, blue in the next). Hashing the id gives a run one colour for life.

The palette and the hash are the web UI's (`ui/src/lib/colors.ts`: `PALETTE`, `runColor`):
32-bit FNV-1a over the id's UTF-16 code units, modulo the palette's length. A test pins the
values the TypeScript function gives, so the two cannot drift apart.
"""

from __future__ import annotations

__all__ = ["PALETTE", "fnv1a", "run_color", "run_colors"]

PALETTE: tuple[str, ...] = (
    "#1f6fd1",  # blue
    "#e8710a",  # orange
    "#1a9c5b",  # green
    "#d93025",  # red
    "#8e44ad",  # purple
    "#0b9db3",  # teal
    "#b5651d",  # brown
    "#d6336c",  # pink
    "#5f6b7a",  # slate
    "#a08c00",  # olive
)

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-16 code units of `text` (what JavaScript's charCodeAt gives)."""
    h = _FNV_OFFSET
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def run_color(run_id: str) -> str:
    """The run's colour as "#rrggbb"."""
    return PALETTE[fnv1a(run_id) % len(PALETTE)]


def run_colors(run_ids: list[str]) -> dict[str, str]:
    """Colours of several runs, each its own run_color (two runs may share one when their ids
    hash alike; a figure tells them apart by name in the legend)."""
    return {r: run_color(r) for r in run_ids}
