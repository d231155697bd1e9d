"""`HealthInputs`: the arrays the health verdict reads, in a module of their own.

Why apart from health.py: the checks (health.py) and the replay that keeps a verdict from
flickering (hysteresis.py, which cuts these inputs back to earlier steps) both need the type,
and health.py calls the replay; with the type here neither imports the other's module to name
it, so the two do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt

from trainboard.store.records import Status

__all__ = ["Array", "HealthInputs"]

Array = npt.ArrayLike


@dataclass
class HealthInputs:
    """The arrays `assess` reads; any may be missing (a run that logs no grad norm)."""

    loss: tuple[Array, Array] | None = None  # steps, values
    loss_times: Array | None = None  # wall times of the loss points (to replay the run)
    loss_key: str = "loss"
    val: tuple[Array, Array] | None = None
    val_key: str = "val/loss"
    epoch: float | None = None  # the run's current epoch, when logged
    grad: Array | None = None  # recent grad norm values
    grad_steps: Array | None = None  # their steps
    grad_key: str = "grad_norm"
    clip: float | None = None
    throughput: tuple[Array, Array] | None = None  # times, cumulative count
    throughput_unit: str = "tokens"
    step_times: Array | None = None  # wall times of recent steps
    last_step: int | None = None
    status: Status = "running"
    now: float = 0.0
    total_steps: int | None = None
    # every other metric to scan for NaN/inf: key -> (steps, values); critical_keys are
    # those whose latest non-finite value makes the verdict critical (eval loss, grad norm)
    metrics: dict[str, tuple[Array, Array]] = field(default_factory=dict)
    critical_keys: tuple[str, ...] = ()
    evals: list[tuple[str, Array, Array, str]] = field(default_factory=list)  # key, s, v, goal
    grad_series: tuple[Array, Array] | None = None  # the whole run's grad norm (downsampled)
    lr: tuple[Array, Array] | None = None
    lr_key: str = "lr"
    rank_rates: dict[int, Array] = field(default_factory=dict)  # rank -> its steps/s samples
    rank_waits: dict[int, Array] = field(default_factory=dict)  # rank -> its data-wait samples
    rank_comm: dict[int, Array] = field(default_factory=dict)  # rank -> its all-reduce waits
    ranks: dict[str, Any] = field(default_factory=dict)  # the run's "ranks" values
