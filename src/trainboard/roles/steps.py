"""Which logged key counts a script's steps, and which config key says how many there will be.

An unmodified script says neither `init(total_steps=)` nor `log(step=)`: karpathy's nanoGPT
logs `{"iter": iter_num, "train/loss": ...}` every 20 iterations and keeps `max_iters` in its
config. The SDK asks this module (the one list, so the SDK, the importers and the analysis
agree) to make `iter` the run's step and `max_iters` its total, so progress, rates and the
ETA follow the script's own counting.

- `STEP_COUNTERS`: logged keys that are a step counter when their values are integers that
  increase with every log() call. A key declared with `define_metric(step_metric=...)` is one
  too. An epoch never is: it is an x-axis, and an epoch-long step would make every rate wrong.
- `total_steps_from_config`: the first of `TOTAL_KEYS` that holds a positive whole number, else
  epochs × steps per epoch when the config gives both (`EPOCH_KEYS`, `STEPS_PER_EPOCH_KEYS`).
  Nested configs are searched too ("trainer.max_steps"), the top level first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from trainboard.roles.match import role_of

STEP_COUNTERS = frozenset({"iter", "iter_num", "global_step", "trainer/global_step"})
TOTAL_KEYS = ("max_iters", "max_steps", "num_train_steps", "total_steps", "train_iters")
EPOCH_KEYS = ("num_train_epochs", "max_epochs", "num_epochs", "epochs", "n_epochs")
STEPS_PER_EPOCH_KEYS = (
    "steps_per_epoch",
    "num_update_steps_per_epoch",
    "iters_per_epoch",
    "batches_per_epoch",
)
_DEPTH = 3  # how deep nested configs are searched (trainer.max_steps, cfg.train.max_iters)

__all__ = [
    "EPOCH_KEYS",
    "STEPS_PER_EPOCH_KEYS",
    "STEP_COUNTERS",
    "TOTAL_KEYS",
    "can_count",
    "counter_value",
    "total_steps_from_config",
]


def can_count(key: str) -> bool:
    """False for a key that may never be a step counter, whatever it is declared as (an
    epoch: `define_metric("val/*", step_metric="epoch")` is a curve over epochs)."""
    return role_of(key).role != "epoch"


def counter_value(v: Any) -> int | None:
    """`v` as a step when it is a whole number ≥ 0 (int, numpy integer, 20.0), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if v >= 0 else None
    if isinstance(v, float):
        return int(v) if v >= 0 and v.is_integer() else None
    if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0:  # np.int64, np.float32
        item = v.item()
        return None if type(item).__module__ == "numpy" else counter_value(item)
    return None  # a tensor is not read here: that would wait for the device


def _whole(v: Any) -> float | None:
    """A positive finite number (epochs may be fractional: HF's num_train_epochs=0.5)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) and f > 0 else None


def _levels(config: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The config, then its nested mappings, breadth first, up to _DEPTH levels."""
    level: list[Mapping[str, Any]] = [config]
    for _ in range(_DEPTH):
        nested: list[Mapping[str, Any]] = []
        for m in level:
            yield m
            nested.extend(v for v in m.values() if isinstance(v, Mapping))
        if not nested:
            return
        level = nested


def _first(levels: list[Mapping[str, Any]], keys: tuple[str, ...]) -> float | None:
    for m in levels:
        for k in keys:
            v = _whole(m.get(k))
            if v is not None:
                return v
    return None


def total_steps_from_config(config: Mapping[str, Any] | None) -> int | None:
    """The planned number of steps a config names (see the module docstring), or None."""
    if not config:
        return None
    levels = list(_levels(config))
    for m in levels:
        for k in TOTAL_KEYS:
            v = _whole(m.get(k))
            if v is not None and v.is_integer():
                return int(v)
    epochs, per = _first(levels, EPOCH_KEYS), _first(levels, STEPS_PER_EPOCH_KEYS)
    if epochs is not None and per is not None:
        return math.ceil(epochs * per)
    return None
