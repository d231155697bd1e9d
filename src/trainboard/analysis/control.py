"""Asking a running run to stop: the one rule that `trainboard stop`, the Run page's Stop
button (POST /runs/{id}/stop) and `Api().run(id).stop()` share.

The request is a value in the run's "control" namespace, which the training process's
sentinel (sdk/sentinel.py) reads every second, plus a run event so the Run page and `show`
say who asked and when. Only a run that is running can be asked: one that already ended, or
whose process died (crashed), cannot stop again.
"""

from __future__ import annotations

import time

from trainboard.analysis.status import effective_status
from trainboard.errors import UsageError
from trainboard.store.base import Store
from trainboard.store.records import EventRecord, RunRecord


def request_stop(store: Store, run_id: str, by: str) -> RunRecord:
    """Ask run `run_id` to stop on behalf of `by`; returns the run. UsageError (409-like:
    said in words) when it is not running; RunNotFoundError when there is no such run."""
    run = store.get_run(run_id)
    status = effective_status(run)
    if status != "running":
        raise UsageError(f"run {run.id} ({run.name}) is {status}, not running: nothing to stop")
    now = time.time()
    store.write_run_values(run.id, "control", {"stop": {"at": now, "by": by}})
    store.add_events(
        run.id,
        [
            EventRecord(
                "stop", "stop requested", f"asked to stop by {by}", "info", now, run.last_step
            )
        ],  # fmt: skip
    )
    return run


def stop_requested(store: Store, run_id: str) -> bool:
    return "stop" in store.read_run_values(run_id, "control")
