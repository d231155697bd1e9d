"""`trainboard import tensorboard LOGDIR [--follow]`: TensorBoard logs as trainboard runs.

Each folder under LOGDIR (LOGDIR itself included) that holds event files becomes one run,
named by its path under LOGDIR ("." is named after LOGDIR), with a run id derived from the
folder's absolute path, so importing the same folder again finds the same run. The byte offset
up to which each event file was read is kept with the run (run values, namespace "import"):
a second import adds nothing, and a file that grew brings in only its new records. Steps and
wall times are the ones in the file. The run's config is the HParams plugin's hyperparameters
and the Hugging Face Trainer's `args` and `model_config` texts (tensorboard_config.py); its
total steps come from that config (`max_steps`...). A file damaged in the middle, or cut off
at the end, imports up to the damage with one warning (tensorboard_events.Damage).

`follow()` keeps reading: every `interval` seconds it imports what the files gained (new
points reach the store, and so the dashboard, within about one interval) and makes new run
folders into runs. A run is "running" while its files grow, its heartbeat the time they last
grew; once they have not grown for the heartbeat timeout it ends: finished when its files end
on a complete record, crashed when one ends torn (its writer died in the middle of a record).
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainboard.errors import ImportFormatError, RunNotFoundError, TrainboardWarning
from trainboard.integrations.hf_names import END_OF_TRAINING
from trainboard.integrations.tensorboard_config import config_from_texts
from trainboard.integrations.tensorboard_events import (
    Parsed,
    event_files,
    parse,
    read_batch,
    run_folders,
)
from trainboard.roles.steps import total_steps_from_config
from trainboard.store.base import Store
from trainboard.store.records import HistogramRecord, PointBatch, RunRecord, TextRecord

_ROW = np.dtype([("step", "<i8"), ("time", "<f8"), ("value", "<f8")])


@dataclass
class RunImport:
    """What one import pass brought into one run."""

    run_id: str
    name: str
    folder: str
    points: int = 0
    histograms: int = 0
    texts: int = 0
    media: int = 0
    created: bool = False
    grew: bool = False
    torn: bool = False  # a file ends in an incomplete record
    left_out: dict[str, int] = field(default_factory=dict)


def write_media(
    store: Store, run_id: str, items: list[tuple[str, int, float, str, int, bytes, str | None]]
) -> None:
    """Images and sounds as media items, their bytes as written (the type from the bytes)."""
    from trainboard.sdk.mediaencode import image_size, sniff
    from trainboard.store.mediarecords import Blob, MediaRecord, digest_of

    records, blobs = [], {}
    for tag, step, wall, kind, index, data, caption in items:
        mime = sniff(data) or ("image/png" if kind == "image" else "audio/wav")
        w, h = image_size(data) if kind == "image" else (None, None)
        d = digest_of(data)
        records.append(MediaRecord(tag, step, kind, d, mime, len(data), wall, index, caption, w, h))
        blobs[d] = Blob(mime, data)
    store.write_media(run_id, records, blobs)


def run_id_for(folder: str) -> str:
    """The run id of a log folder: the same folder always gives the same run."""
    return hashlib.sha1(os.path.abspath(folder).encode()).hexdigest()[:12]


def run_name_for(logdir: str, folder: str) -> str:
    rel = os.path.relpath(folder, logdir)
    if rel == ".":
        return os.path.basename(os.path.abspath(logdir)) or "tensorboard"
    return rel.replace(os.sep, "/")


def check_logdir(logdir: str) -> list[str]:
    """The run folders of `logdir`; ImportFormatError when it has no event files at all."""
    if not os.path.exists(logdir):
        raise ImportFormatError(f"{logdir}: no such folder")
    if not os.path.isdir(logdir):
        raise ImportFormatError(
            f"{logdir}: not a folder (give the TensorBoard log folder, the one passed to "
            "SummaryWriter(log_dir=...) or tensorboard --logdir)"
        )
    folders = run_folders(logdir)
    if not folders:
        raise ImportFormatError(
            f"{logdir}: no TensorBoard event files (files named events.out.tfevents.*) in it "
            "or in any folder below it"
        )
    return folders


def pending_bytes(store: Store, logdir: str, folders: list[str]) -> int:
    """How many bytes of event files the store has not read yet (for a progress bar)."""
    total = 0
    for folder in folders:
        offsets = _offsets(store, run_id_for(folder))
        for name in event_files(folder):
            size = os.path.getsize(os.path.join(folder, name))
            total += max(0, size - _offset_of(offsets, name))
    return total


def _offsets(store: Store, run_id: str) -> dict[str, Any]:
    try:
        return store.read_run_values(run_id, "import")
    except RunNotFoundError:
        return {}


def _offset_of(offsets: dict[str, Any], name: str) -> int:
    entry = offsets.get(name)
    return int(entry.get("offset", 0)) if isinstance(entry, dict) else 0


def import_folder(
    store: Store,
    logdir: str,
    folder: str,
    *,
    project: str,
    live: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> RunImport:
    """Bring what is new in one run folder into the store (see the module docstring).
    `live`: a writer may still be appending, so an incomplete last record is not damage."""
    run_id = run_id_for(folder)
    result = RunImport(run_id, run_name_for(logdir, folder), folder)
    try:
        store.get_run(run_id)
        offsets = store.read_run_values(run_id, "import")
    except RunNotFoundError:
        offsets = {}
        result.created = True
    for name in event_files(folder):
        path = os.path.join(folder, name)
        start = _offset_of(offsets, name)
        size = os.path.getsize(path)
        if size < start:
            _warn(f"{path}: the file is shorter than when it was imported; left as it was")
            continue
        if size == start:
            continue
        pos = start
        while True:
            batch, end, damage = read_batch(path, pos)
            if batch:
                _store(store, result, project, batch, name, end, on_bytes, end - pos)
            pos = end
            if damage is not None:
                if "incomplete" in damage.reason:
                    result.torn = True
                if not (live and "incomplete" in damage.reason):
                    _warn(
                        f"{path}: {damage.reason} at byte {damage.offset:,}; imported the "
                        f"{damage.offset - start:,} bytes before it"
                    )
                break
            if not batch:
                break
    return result


def _store(
    store: Store,
    result: RunImport,
    project: str,
    records: list[bytes],
    file_name: str,
    offset: int,
    on_bytes: Callable[[int], None] | None,
    nbytes: int,
) -> None:
    """Parse `records` and write them, then remember `offset` for `file_name`."""
    got = Parsed()
    parse(records, got)
    found = {**config_from_texts(got.texts), **got.hparams}
    if result.created:
        when = got.first_time or time.time()
        store.create_run(
            RunRecord(
                id=result.run_id,
                project=project,
                name=result.name,
                status="running",
                config=found,
                total_steps=total_steps_from_config(found),
                created_at=when,
                heartbeat_at=when,
                notes=f"imported from TensorBoard logs in {result.folder}",
            )
        )
        result.created = False
        result.grew = True
    elif found:
        old = store.get_run(result.run_id)
        config = {**old.config, **found}
        total = old.total_steps or total_steps_from_config(config)
        store.update_run(result.run_id, config=config, total_steps=total)
    once = _once(got)
    if once:
        store.write_run_values(result.run_id, "summary", once)
    batches = {}
    for tag in {*got.scalars, *got.arrays}:
        parts = [(c[0], c[1], c[2]) for c in got.arrays.get(tag, [])]
        rows = got.scalars.get(tag)
        if rows:
            arr = np.array(rows, dtype=_ROW)  # exact int64 steps
            parts.append((arr["step"], arr["time"], arr["value"]))
        steps = np.concatenate([q[0] for q in parts]).astype(np.int64)
        times = np.concatenate([q[1] for q in parts]).astype(np.float64)
        values = np.concatenate([q[2] for q in parts]).astype(np.float64)
        order = np.lexsort((times, steps))  # by step; a step written twice: the later last
        batches[tag] = PointBatch(steps[order], times[order], values[order])
    if batches:
        store.write_points(result.run_id, batches)
    if got.histograms:
        store.write_histograms(result.run_id, [_histogram(*h) for h in got.histograms])
    if got.texts:
        store.write_texts(result.run_id, [TextRecord(*t) for t in got.texts])
    if got.media:
        write_media(store, result.run_id, got.media)
    store.write_run_values(result.run_id, "import", {file_name: {"offset": offset}})
    if got.last_time is not None:
        store.update_run(result.run_id, heartbeat_at=time.time())
    result.points += got.points
    result.histograms += len(got.histograms)
    result.texts += len(got.texts)
    result.media += len(got.media)
    result.grew = result.grew or bool(got.events)
    for k, n in got.left_out.items():
        result.left_out[k] = result.left_out.get(k, 0) + n
    if on_bytes is not None:
        on_bytes(nbytes)


_ONCE_TAGS = {f"train/{name}": name for name in END_OF_TRAINING}


def _once(got: Parsed) -> dict[str, float]:
    """Take the Hugging Face Trainer's end-of-training values ("train/train_runtime"...) out
    of the points: they are the run's summary, under the names a run logged directly has."""
    out: dict[str, float] = {}
    for tag, name in _ONCE_TAGS.items():
        rows = got.scalars.pop(tag, None)
        parts = got.arrays.pop(tag, None)
        if parts:
            out[name] = float(parts[-1][2][-1])
        if rows:
            out[name] = rows[-1][2]
    return out


def _histogram(
    tag: str, step: int, wall: float, edges: list[float], counts: list[float]
) -> HistogramRecord:
    centres = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]
    return HistogramRecord(
        key=tag,
        step=step,
        wall_time=wall,
        edges=edges,
        counts=counts,
        min=edges[0],
        max=edges[-1],
        count=int(round(sum(counts))),
        sum=sum(c * n for c, n in zip(centres, counts, strict=True)),
    )


def end_run(store: Store, result: RunImport) -> None:
    """Mark an imported run ended: crashed when a file ends torn, else finished, at the wall
    time of its last point."""
    run = store.get_run(result.run_id)
    last = max((s.last_time for s in run.summary.values()), default=run.created_at)
    status = "crashed" if result.torn else "finished"
    store.update_run(result.run_id, status=status, finished_at=last)


def import_logdir(
    store: Store,
    logdir: str,
    *,
    project: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    folders: list[str] | None = None,
) -> list[RunImport]:
    """Import every run folder of `logdir` whole (what is new since the last import)."""
    folders = folders if folders is not None else check_logdir(logdir)
    project = project or default_project(logdir)
    results = []
    for folder in folders:
        r = import_folder(store, logdir, folder, project=project, on_bytes=on_bytes)
        if r.grew:
            end_run(store, r)
        results.append(r)
    left: dict[str, int] = {}
    for r in results:
        for k, n in r.left_out.items():
            left[k] = left.get(k, 0) + n
    if left:
        what = ", ".join(f"{n:,} {k}" for k, n in sorted(left.items()))
        _warn(f"{logdir}: left out what trainboard does not show: {what} values")
    return results


def default_project(logdir: str) -> str:
    return os.path.basename(os.path.abspath(logdir)) or "tensorboard"


def follow(
    store: Store,
    logdir: str,
    *,
    project: str | None = None,
    interval: float = 0.5,
    heartbeat_timeout: float | None = None,
    stop: Callable[[], bool] = lambda: False,
    on_pass: Callable[[list[RunImport]], None] | None = None,
) -> None:
    """Keep importing what `logdir` gains until `stop()` (see the module docstring)."""
    from trainboard import settings

    timeout = settings.heartbeat_timeout() if heartbeat_timeout is None else heartbeat_timeout
    if not os.path.isdir(logdir):
        raise ImportFormatError(f"{logdir}: no such folder")
    project = project or default_project(logdir)
    last_growth: dict[str, float] = {}
    ended: set[str] = set()
    torn: dict[str, bool] = {}
    while not stop():
        results = []
        for folder in run_folders(logdir):
            r = import_folder(store, logdir, folder, project=project, live=True)
            now = time.time()
            torn[r.run_id] = r.torn
            if r.grew or r.run_id not in last_growth:
                last_growth[r.run_id] = now
                if r.run_id in ended and r.grew:  # it grew again: running again
                    ended.discard(r.run_id)
                    store.update_run(r.run_id, status="running", finished_at=None)
            elif r.run_id not in ended and now - last_growth[r.run_id] > timeout:
                r.torn = torn[r.run_id]
                end_run(store, r)
                ended.add(r.run_id)
            results.append(r)
        if on_pass is not None:
            on_pass(results)
        time.sleep(interval)


def _warn(message: str) -> None:
    warnings.warn(message, TrainboardWarning, stacklevel=3)
