"""Run, status and verdict colours: decided once, in `palette.json`, for Python and the web UI.

Why a JSON file: the figures and reports (Python) and the web UI (TypeScript) must draw a run
in the same colour, and two hand-kept lists drifted apart. `palette.json` beside this module
is the only list; `ui/src/lib/colors.ts` imports the same file when the UI is built.

The rule, the same in both languages (`assign_colors` here, `assignColors` there):

- a run's first choice is `runs[fnv1a(id) % 20]`, from its id, so it keeps its colour from
  view to view where it can (lr3e-5 is orange on every page that shows it);
- within one view (a page, a figure, a report) no two runs share a colour, up to 20 runs: the
  ids are taken in sorted order, and a run whose choice another already holds moves on to the
  next free colour. Sorting makes the result depend only on which runs are shown, never on
  the order they are listed in. Past 20 runs colours repeat, from the first choice again.

A metric's colour on a run's charts (`metric_color`) is decided here too, and sent to the web
UI with the run (`RunOut.colors`, `HistogramOut.color`): a key whose first "/" part names a
split takes that split's fixed colour (train the first, eval the second, test the third), so
"train/loss" and "eval/loss" never collide on one chart; any other key its hashed colour.

The hash is 32-bit FNV-1a over the id's UTF-16 code units (what JavaScript's charCodeAt reads).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "PALETTE",
    "STATUS_COLOURS",
    "UNKNOWN_COLOUR",
    "VERDICT_COLOURS",
    "assign_colors",
    "fnv1a",
    "metric_color",
    "metric_colors",
    "run_color",
    "run_colors",
]

PALETTE_FILE = Path(__file__).with_name("palette.json")
_DATA: dict[str, Any] = json.loads(PALETTE_FILE.read_text(encoding="utf-8"))

PALETTE: tuple[str, ...] = tuple(_DATA["runs"])
STATUS_COLOURS: dict[str, str] = dict(_DATA["status"])
VERDICT_COLOURS: dict[str, str] = dict(_DATA["verdict"])
UNKNOWN_COLOUR: str = _DATA["unknown"]

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
    """The run's first-choice colour as "#rrggbb": what it has when shown alone."""
    return PALETTE[fnv1a(run_id) % len(PALETTE)]


def assign_colors(run_ids: Iterable[str]) -> dict[str, str]:
    """The colour of each run shown together in one view: distinct up to len(PALETTE) runs."""
    n = len(PALETTE)
    taken: set[int] = set()
    out: dict[str, str] = {}
    for rid in sorted(set(run_ids)):
        if len(taken) == n:  # every colour used: start over from first choices
            taken.clear()
        slot = fnv1a(rid) % n
        while slot in taken:
            slot = (slot + 1) % n
        taken.add(slot)
        out[rid] = PALETTE[slot]
    return out


def run_colors(run_ids: list[str]) -> dict[str, str]:
    """Colours of the runs of one figure or report: `assign_colors`, kept under its old name."""
    return assign_colors(run_ids)


# the first "/" part of a key that names a split, and the palette slot its curves take (test:
# a held-out split shown beside validation, so a third colour, not eval's)
_SPLIT_SLOTS = {"train": 0, "training": 0, "eval": 1, "val": 1, "valid": 1, "validation": 1,
                "test": 2}  # fmt: skip


def metric_color(key: str) -> str:
    """The colour of a metric's curve (or histogram) on a run's charts (module docstring)."""
    prefix, slash, _ = key.partition("/")
    slot = _SPLIT_SLOTS.get(prefix.lower()) if slash else None
    return PALETTE[fnv1a(key) % len(PALETTE) if slot is None else slot]


def metric_colors(keys: Iterable[str]) -> dict[str, str]:
    """`metric_color` of each key: what a run's page draws its charts with."""
    return {k: metric_color(k) for k in keys}
