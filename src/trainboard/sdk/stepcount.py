"""A script's own step counter as the run's step (`iter`, `global_step`...; roles/steps.py).

When log() is called without `step=`, the run's step is normally the previous one + 1. A script
that logs every 20 iterations with `{"iter": iter_num, ...}` then reads "step 3" after 60
iterations, and every rate and ETA is 20 times too slow. So the first time log() sees a key
set (once per set: the journal caches its record kind) holding a step counter whose value is a
whole number above the run's step, that key becomes the run's step counter:

- a call that holds it is stored at its value, as long as the values keep increasing (or
  stay put after `commit=False`); the first value that does not (a reset, a float, a string)
  turns the counter off for the rest of the run and says so once;
- a call without it stays at the counter's last value, as wandb does for a `step_metric`.

`Run.log()` checks the counter inline (one attribute and one dict lookup); everything else is
here, off the hot path.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from trainboard.errors import TrainboardWarning
from trainboard.limits import STEP_MAX
from trainboard.roles.steps import STEP_COUNTERS, can_count, counter_value

OFF = ""
"""The counter of a run whose counter stopped counting: no key is "", so `OFF in data` is
always False and log() goes back to previous + 1 without another check."""

__all__ = ["OFF", "STEP_COUNTERS", "declare", "discover", "next_value"]


def discover(
    counters: frozenset[str], data: Mapping[str, Any], last: int
) -> tuple[str, int] | None:
    """(key, step) when `data` holds one of `counters` with a whole value above `last`."""
    for key in counters.intersection(data):
        v = counter_value(data[key])
        if v is not None and last < v <= STEP_MAX:
            return key, v
    return None


def next_value(key: str, v: Any, last: int, hold: bool) -> int | None:
    """The step for a counter value log() could not take inline (not an int, or not above
    the last step); None, with a warning, when the counter stops counting."""
    step = counter_value(v)
    if step is not None and step <= STEP_MAX and (step > last or (hold and step == last)):
        return step
    warnings.warn(
        f"log(): {key!r} was the run's step until now, but {v!r} does not follow step "
        f"{last}; from here the step goes on as the previous step + 1 (pass step= to choose)",
        TrainboardWarning,
        stacklevel=4,
    )
    return None


def declare(counters: frozenset[str], key: str) -> frozenset[str]:
    """The counters after `define_metric(..., step_metric=key)` (an epoch never counts steps)."""
    return counters | {key} if can_count(key) else counters
