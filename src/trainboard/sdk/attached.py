"""What a run logs besides its points: text samples, histograms and artifacts.

Each is checked in the caller, given its step (the one asked for, else the run's current
one) and queued for the writer, like `log()`; unlike it, none is on the hot path, so the
binning (sdk/histogram.py) and the copy (sdk/artifacts.py) run here, in the caller. They
change with what such a record holds (store/sql/attached.py keeps them), not with how scalars
are logged (sdk/run.py).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from trainboard import settings
from trainboard.errors import UsageError
from trainboard.sdk.validate import check_key, check_step, check_text

if TYPE_CHECKING:
    from trainboard.sdk.state import RunState
    from trainboard.store.records import HistogramRecord


def _at(run: RunState, where: str, step: int | None) -> int:
    """Step of a text/histogram/artifact: given, else the run's current step."""
    if step is None:
        return max(run.step, 0)
    return check_step(where, step)


def log_text(run: RunState, key: str, text: str, step: int | None) -> None:
    from trainboard.store.records import TextRecord

    check_key("log_text()", key)
    if not isinstance(text, str):
        raise TypeError(f"log_text(): {key!r} must be a str, got {type(text).__name__}")
    check_text("log_text()", f"the text of {key!r}", text)
    at = _at(run, "log_text()", step)
    run.check_open("log_text()")
    if run.writer is not None:
        run.writer.enqueue_text(TextRecord(key, at, time.time(), text))


def log_histogram(run: RunState, key: str, values: Any, step: int | None) -> None:
    from trainboard.sdk.histogram import histogram

    check_key("log_histogram()", key)
    at = _at(run, "log_histogram()", step)
    run.check_open("log_histogram()")
    record = histogram(key, values, at, time.time())
    if run.writer is not None:
        run.writer.enqueue_histogram(record)


def log_histogram_record(run: RunState, record: HistogramRecord) -> None:
    """A histogram already binned (wandb.Histogram(np_histogram=...))."""
    run.check_open("log()")
    if run.writer is not None:
        run.writer.enqueue_histogram(record)


def log_artifact(
    run: RunState, path: str, kind: str, step: int | None, name: str | None, copy: bool
) -> str | None:
    """The copy's path relative to the artifact folder, None on a disabled rank."""
    from trainboard.sdk.artifacts import keep

    if not isinstance(kind, str) or not kind:
        raise ValueError(f"log_artifact(): kind must be a non-empty str, got {kind!r}")
    at = _at(run, "log_artifact()", step)
    run.check_open("log_artifact()")
    if run.writer is None:
        if not os.path.exists(path):
            raise UsageError(f"log_artifact(): no file or folder at {str(path)!r}")
        return None
    record = keep(
        path,
        artifacts_dir=settings.artifacts_dir(run.store_url),
        run_id=run.record.id,
        kind=kind,
        step=at if step is not None else run.current_step(),
        name=name,
        wall_time=time.time(),
        copy=copy,
    )
    run.writer.enqueue_artifact(record)
    return record.path
