"""`trainboard import jsonl FILE --follow`: a `train_log.jsonl` that a job is still appending
to, as a live run.

The file is read from where the last pass stopped, every `interval` seconds; only complete
lines count: a half-written last line waits for its newline. Fields map as in a whole import
(trainboard.integrations.jsonl), with what a file still growing allows:

- `step` (an integer >= 0) is the x of every value on the line; a line without one takes the
  line number (0, 1, 2...).
- `seconds` (elapsed since the start) places the line in time: the run starts when the first
  line read says `seconds` was 0; a line without it is stamped when it is read.
- Numbers (and NaN / Infinity) become metrics. Any other value: the first one of a field goes
  into the config; a later, different one becomes a text sample at its step.
- A line that is not a JSON object warns once (naming the line) and is skipped: the job goes on.

The run is "running" while the file grows (its heartbeat: the last growth). Once it has not
grown for the heartbeat timeout the run ends: finished, or crashed when the file ends in a
half-written line.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainboard.errors import TrainboardWarning
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord, TextRecord

_RESERVED = ("step", "seconds")


@dataclass
class FollowState:
    """Where a followed file stands: its byte offset, the pending partial line, the clock."""

    run_id: str
    offset: int = 0
    partial: bytes = b""
    lines: int = 0  # complete lines read (the implicit step of a line without one)
    start: float | None = None  # wall time at seconds == 0
    config: dict[str, Any] = field(default_factory=dict)
    last_growth: float = 0.0
    ended: bool = False


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def read_new_lines(path: Path, state: FollowState) -> list[bytes]:
    """Complete lines appended since the last call (the partial tail is kept for later)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return []
    if size <= state.offset:
        return []
    with open(path, "rb") as f:
        f.seek(state.offset)
        data = f.read(size - state.offset)
    state.offset += len(data)
    data = state.partial + data
    *lines, state.partial = data.split(b"\n")
    return lines


def store_lines(store: Store, path: Path, state: FollowState, lines: list[bytes]) -> int:
    """Parse complete lines and write them; return how many points they held."""
    now = time.time()
    cols: dict[str, tuple[list[int], list[float], list[float]]] = {}
    texts: list[TextRecord] = []
    new_config: dict[str, Any] = {}
    for raw in lines:
        state.lines += 1
        lineno = state.lines
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            _warn(f"{path}:{lineno}: not valid JSON ({e}); line skipped")
            continue
        if not isinstance(obj, dict):
            _warn(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}; skipped")
            continue
        step = obj.get("step", lineno - 1)
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            _warn(f"{path}:{lineno}: 'step' must be an integer >= 0, got {step!r}; skipped")
            continue
        secs: Any = obj.get("seconds")
        wall = now
        if _number(secs) and math.isfinite(secs) and secs >= 0:
            if state.start is None:
                state.start = now - float(secs)
            wall = state.start + float(secs)
        for key, v in obj.items():
            if key in _RESERVED or v is None or not isinstance(key, str) or not key:
                continue
            if _number(v):
                c = cols.setdefault(key, ([], [], []))
                c[0].append(step)
                c[1].append(wall)
                c[2].append(float(v))
            elif key not in state.config:
                state.config[key] = new_config[key] = v
            elif state.config[key] != v:
                text = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                texts.append(TextRecord(key, step, wall, text))
    if cols:
        store.write_points(state.run_id, {k: PointBatch.of(*c) for k, c in cols.items()})
    if texts:
        store.write_texts(state.run_id, texts)
    if new_config:
        store.update_run(state.run_id, config=dict(state.config))
    return sum(len(c[0]) for c in cols.values())


def start_run(
    store: Store, path: Path, *, project: str, name: str | None, model: str | None
) -> FollowState:
    from trainboard.sdk.names import new_run_id

    if name is None:
        name = path.parent.name if path.stem == "train_log" and path.parent.name else path.stem
    now = time.time()
    run = RunRecord(
        id=new_run_id(),
        project=project,
        name=name,
        model=model,
        status="running",
        created_at=now,
        heartbeat_at=now,
        notes=f"followed from {path}",
    )
    store.create_run(run)
    return FollowState(run.id, last_growth=now)


def follow_jsonl(
    store: Store,
    path: str | os.PathLike[str],
    *,
    project: str = "imported",
    name: str | None = None,
    model: str | None = None,
    interval: float = 0.5,
    heartbeat_timeout: float | None = None,
    stop: Callable[[], bool] = lambda: False,
    on_pass: Callable[[FollowState, int], None] | None = None,
) -> FollowState:
    """Follow `path` until `stop()`; return the final state (see the module docstring)."""
    from trainboard import settings

    timeout = settings.heartbeat_timeout() if heartbeat_timeout is None else heartbeat_timeout
    p = Path(path)
    state = start_run(store, p, project=project, name=name, model=model)
    while not stop():
        lines = read_new_lines(p, state)
        now = time.time()
        grew = bool(lines)
        points = store_lines(store, p, state, lines) if lines else 0
        if grew:
            state.last_growth = now
            fields: dict[str, Any] = {"heartbeat_at": now}
            if state.ended:
                fields.update(status="running", finished_at=None)
                state.ended = False
            store.update_run(state.run_id, **fields)
            if model is None and isinstance(state.config.get("model"), str):
                store.update_run(state.run_id, model=state.config["model"])
        elif not state.ended and now - state.last_growth > timeout:
            status = "crashed" if state.partial.strip() else "finished"
            store.update_run(state.run_id, status=status, finished_at=state.last_growth)
            state.ended = True
        if on_pass is not None:
            on_pass(state, points)
        time.sleep(interval)
    return state


def _warn(message: str) -> None:
    warnings.warn(message, TrainboardWarning, stacklevel=3)
