"""A run's attempts: the processes that wrote it one after another, and which points of an
attempt that died a later one superseded.

Why in the store: which points a chart, the comparison and the summaries see is decided
where the points are read, once for every reader (the store's `read_series`), not by each.

A run is written by one attempt until it is resumed (`init(resume=ID)`); every resume starts
the next attempt. A resume from a checkpoint (`init(resume=ID, resume_from_step=N)`, wandb's
`resume_from="ID?_step=N"`, the HF and Lightning integrations resuming from a checkpoint)
continues the run at step N: the points of the earlier attempts after step N are *superseded*.
They are never deleted: `read_series(superseded=True)` returns them (and only them).

The rule needs no mark on the points themselves: a point (step s, wall time t) is superseded
when some attempt resumed from step N at time T with s > N and t < T, i.e. it is after the
checkpoint and was written before the attempt that went back to it started. (It relies on
the clocks of the hosts that wrote the attempts agreeing to within the time the job was down.)

The attempts are kept in the run's "attempts" values, by number ("1", "2", ...): when each
started, on which host and pid, the step it resumed from, and how long the job was down
before it (from the previous attempt's last sign of life): the ETA and the rates leave that
time out (analysis/progress.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: `import trainboard` stays light
    import numpy as np
    import numpy.typing as npt

NAMESPACE = "attempts"

Cutoff = tuple[int, float]  # (from_step, started_at): points after the step, written before


@dataclass(frozen=True)
class Attempt:
    """One attempt of a run, as its "attempts" value says."""

    n: int
    started_at: float
    host: str | None = None
    pid: int | None = None
    from_step: int | None = None  # resumed from this checkpoint step (None: where it was)
    down_s: float = 0.0  # seconds between the previous attempt's last sign of life and this
    superseded: tuple[int, int] | None = None  # steps of earlier attempts it superseded

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "started_at": self.started_at,
            "host": self.host,
            "pid": self.pid,
            "from_step": self.from_step,
            "down_s": self.down_s,
            "superseded": list(self.superseded) if self.superseded else None,
        }


def _int(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def attempts_of(values: Mapping[str, Any]) -> list[Attempt]:
    """The attempts in a run's "attempts" values, oldest first (malformed entries skipped)."""
    out = []
    for key, v in values.items():
        if not isinstance(v, dict) or not key.isdigit():
            continue
        started = v.get("started_at")
        if not isinstance(started, int | float):
            continue
        sup = v.get("superseded")
        out.append(
            Attempt(
                n=int(key),
                started_at=float(started),
                host=v.get("host") if isinstance(v.get("host"), str) else None,
                pid=_int(v.get("pid")),
                from_step=_int(v.get("from_step")),
                down_s=max(0.0, float(v.get("down_s") or 0.0)),
                superseded=(int(sup[0]), int(sup[1]))
                if isinstance(sup, list) and len(sup) == 2
                else None,
            )
        )
    return sorted(out, key=lambda a: a.n)


def cutoffs_of(values: Mapping[str, Any]) -> list[Cutoff]:
    """(from_step, started_at) of every attempt that resumed from a checkpoint step."""
    return [(a.from_step, a.started_at) for a in attempts_of(values) if a.from_step is not None]


def superseded_mask(
    steps: npt.NDArray[np.int64], times_us: npt.NDArray[np.int64], cutoffs: list[Cutoff]
) -> npt.NDArray[np.bool_]:
    """True for each point a later attempt superseded (see the module docstring)."""
    import numpy as np

    mask = np.zeros(steps.shape[0], dtype=bool)
    for from_step, started_at in cutoffs:
        mask |= (steps > from_step) & (times_us < int(started_at * 1e6))
    return mask


def down_seconds(attempts: list[Attempt], since: float | None = None) -> float:
    """Seconds the job was down between attempts (those that started after `since`)."""
    return sum(a.down_s for a in attempts if since is None or a.started_at > since)


def active_times(times: npt.ArrayLike, attempts: list[Attempt]) -> npt.NDArray[np.float64]:
    """Wall times with the time the job was down taken out: each time moves back by the
    downtime of every attempt that started at or before it, so intervals that span a restart
    hold only the time the job ran."""
    import numpy as np

    t = np.asarray(times, dtype=np.float64).copy()
    for a in attempts:
        if a.down_s > 0:
            t[t >= a.started_at] -= a.down_s
    return t


__all__ = [
    "NAMESPACE",
    "Attempt",
    "Cutoff",
    "active_times",
    "attempts_of",
    "cutoffs_of",
    "down_seconds",
    "superseded_mask",
]
