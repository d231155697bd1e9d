"""A run's effective status: the stored one, or "crashed" when the process died unseen.

A process killed with SIGKILL (or by the OOM killer, or a lost machine) writes nothing on
its way out, so "crashed" is derived by whoever reads the run:

- on the run's own host, a pid that is gone (or a zombie) means crashed at once; a pid that
  exists but belongs to a process started after the run's last heartbeat is a reused pid,
  so crashed as well;
- anywhere, a heartbeat older than TRAINBOARD_HEARTBEAT_TIMEOUT means crashed.

Liveness is on the store's clock: the store stamps each heartbeat with the time it received
it (a training host's clock may be hours off), and `reconcile()` judges them against
`store.now()`, so a skewed host can turn neither a live run into a crashed one nor a killed
run into a running one.

`reconcile()` writes "crashed" back for such runs, and for runs one of whose ranks stopped
sending heartbeats (analysis/rankbeat.py); the CLI and the server call it.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterable

from trainboard import settings
from trainboard.analysis.rankbeat import crash_if_a_rank_is_silent
from trainboard.errors import RunNotFoundError
from trainboard.store.base import Store
from trainboard.store.records import RunRecord, Status

_CLOCK_SLACK = 2.0  # seconds between a process's start time and the heartbeat it writes


def _process_gone(pid: int, heartbeat_at: float, skew: float = 0.0) -> bool:
    """True when no process of this run still has `pid` (`skew`: this machine's clock minus
    the clock `heartbeat_at` is on)."""
    import psutil

    if not psutil.pid_exists(pid):
        return True
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return True
        started = proc.create_time() - skew  # on the heartbeat's clock
        return bool(started > heartbeat_at + _CLOCK_SLACK)  # pid reused since
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False  # cannot tell (permissions): fall back to the heartbeat


def effective_status(
    run: RunRecord, now: float | None = None, hostname: str | None = None
) -> Status:
    """The status to show: the stored one, except a running run that died is crashed.
    `now`: the store's clock (store.now()); this machine's by default."""
    if run.status != "running":
        return run.status
    here = time.time()
    now = here if now is None else now
    hostname = socket.gethostname() if hostname is None else hostname
    beat = run.heartbeat_at if run.heartbeat_at is not None else run.created_at
    if run.host == hostname and run.pid is not None and _process_gone(run.pid, beat, here - now):
        return "crashed"
    if now - beat > settings.heartbeat_timeout():
        return "crashed"
    return "running"


def _last_sign_of_life(run: RunRecord) -> float:
    times = [run.created_at, run.heartbeat_at or 0.0]
    times += [s.last_time for s in run.summary.values()]
    return max(times)


def reconcile(store: Store, runs: Iterable[RunRecord]) -> list[RunRecord]:
    """Persist "crashed" for running runs that died; the records are updated in place.

    Returns the runs that changed. finished_at becomes the last sign of life (the last
    heartbeat or point), so a crashed run's duration stops growing.

    The records may be stale: a run listed as running can finish before the write. So the
    store writes "crashed" only where the stored status is still "running"; a run that ended
    meanwhile keeps its own status, and its record is refreshed from the store instead."""
    changed = []
    now = store.now()
    host = socket.gethostname()
    for run in runs:
        if run.status == "running" and effective_status(run, now, host) == "crashed":
            ended = _last_sign_of_life(run)
            if store.update_run_if(run.id, "running", status="crashed", finished_at=ended):
                run.status, run.finished_at = "crashed", ended
                changed.append(run)
            else:
                stored = store.get_run(run.id)
                run.status, run.finished_at = stored.status, stored.finished_at
        elif run.status == "running":
            with contextlib.suppress(RunNotFoundError):  # deleted meanwhile
                if crash_if_a_rank_is_silent(store, run, now):
                    changed.append(run)
    return changed
