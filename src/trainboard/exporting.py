"""Export one run's metrics as JSON or a wide CSV, or one metric as a narrow CSV, streamed.

Every export path calls these generators: the CLI's `export`, the server's `export.json` /
`export.csv` and each chart's `series.csv`, so all of them write the same bytes.

JSON: `{"run": {...}, "metrics": {"<key>": [[step, wall_time, value], ...]}, "texts": [...]}`,
every stored point in step order, one point per line, then every text sample as
`{"key", "step", "wall_time", "text"}` in step order.
Wide CSV: a `step` column, then one column per metric (keys sorted), one row per step any metric
was logged at, empty where a metric has no value at that step.
Series CSV: `step,wall_time,value`, one row per stored point of one key.

Why streamed in step windows: a run of millions of points must leave the server (or the CLI)
at more than a million points a second without holding the run in memory. Each window is read
from the store with `read_series(start=, end=)`, which decodes only the chunks overlapping it,
and is formatted with whole-column operations (never a csv.writer call per row), so memory stays
at about WINDOW_POINTS points whatever the run's length.

Non-finite values: JSON has no NaN or infinity (and orjson would write null, losing them), so
both formats write the strings "NaN", "Infinity" and "-Infinity" (trainboard.jsonvalues).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from trainboard import jsonvalues
from trainboard.jsonvalues import spell_all
from trainboard.store.base import Store
from trainboard.store.records import RunRecord, Series

__all__ = [
    "WINDOW_POINTS",
    "export_csv",
    "export_json",
    "export_json_bytes",
    "iter_csv",
    "iter_json",
    "iter_series_csv",
]

WINDOW_POINTS = 65_536  # points (over all keys) formatted at a time: a few MB of text


def _windows(run: RunRecord, keys: list[str]) -> Iterator[tuple[int | None, int | None]]:
    """Step ranges [start, end] that together cover every step, each holding about
    WINDOW_POINTS points if the steps are spread evenly from 0 to the last step. The first
    is open below and the last open above, so no stored point falls outside them."""
    summaries = [run.summary[k] for k in keys if k in run.summary]
    count = sum(s.count for s in summaries)
    last = max((s.last_step for s in summaries), default=0)
    if count <= WINDOW_POINTS or last <= 0:
        yield None, None
        return
    width = max(1, math.ceil((last + 1) * WINDOW_POINTS / count))
    start = 0
    while start + width <= last:
        yield (None if start == 0 else start), start + width - 1
        start += width
    yield (None if start == 0 else start), None


_SPELLED = {s: s.encode() for s in jsonvalues.SPELLINGS}


def _cells(values: np.ndarray[Any, Any]) -> list[bytes]:
    """Numbers as text cells, shortest round-trip form (orjson's, from the array's buffer: ten
    times faster than repr() per float); non-finite values spelled as trainboard.jsonvalues
    does ("NaN", "Infinity", "-Infinity"), which float(), pandas and Number() read back."""
    if values.shape[0] == 0:
        return []
    cells = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",")
    if values.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(values))
        for i in bad.tolist():
            cells[i] = _SPELLED[jsonvalues.spell(float(values[i]))]
    return cells


def _rows(steps: np.ndarray[Any, Any], columns: list[np.ndarray[Any, Any]]) -> list[bytes]:
    """`step,c1,c2,...` per row. When every value is finite, the columns go through orjson as
    one 2-D array and are cut into rows (one Python object per row, not per cell: twice as
    fast); otherwise cell by cell, so non-finite values get their spelling."""
    if columns and all(np.isfinite(c).all() for c in columns):
        table = np.column_stack(columns) if len(columns) > 1 else columns[0].reshape(-1, 1)
        rows = orjson.dumps(table, option=orjson.OPT_SERIALIZE_NUMPY)[2:-2].split(b"],[")
    else:
        rows = list(map(b",".join, zip(*map(_cells, columns), strict=True)))
    return list(map(b",".join, zip(_cells(steps), rows, strict=True)))


def _wide_rows(series: list[Series]) -> bytes:
    """One window of the wide CSV: a row per step any key has, "" where a key has none."""
    first = series[0].steps
    if all(np.array_equal(s.steps, first) for s in series[1:]):
        steps = first  # the common case: every key logged at the same steps
    else:
        steps = np.unique(np.concatenate([s.steps for s in series]))
    if steps.shape[0] == 0:
        return b""
    if all(s.steps.shape[0] == steps.shape[0] for s in series):  # every key at every step
        return b"\n".join(_rows(steps, [s.values for s in series])) + b"\n"
    columns: list[list[bytes]] = [_cells(steps)]
    for s in series:
        if s.steps.shape[0] == steps.shape[0]:  # the key has every step of the window
            columns.append(_cells(s.values))
            continue
        col = [b""] * steps.shape[0]
        # step order with unique steps per key (the store's contract), so positions are exact
        for i, c in zip(np.searchsorted(steps, s.steps).tolist(), _cells(s.values), strict=True):
            col[i] = c
        columns.append(col)
    return b"\n".join(map(b",".join, zip(*columns, strict=True))) + b"\n"


def _header(keys: list[str]) -> bytes:
    """The CSV header, quoting a key only where CSV needs it (a comma, quote or newline)."""

    def cell(k: str) -> str:
        if any(c in k for c in ',"\r\n'):
            return '"' + k.replace('"', '""') + '"'
        return k

    return (",".join(cell(k) for k in ["step", *keys]) + "\n").encode()


def iter_csv(store: Store, run_id: str) -> Iterator[bytes]:
    """The wide CSV in pieces of about WINDOW_POINTS points. An unknown run raises
    RunNotFoundError here, before the first piece."""
    run = store.get_run(run_id)
    keys = sorted(store.metric_keys(run_id))
    return _csv_pieces(store, run, keys)


def _csv_pieces(store: Store, run: RunRecord, keys: list[str]) -> Iterator[bytes]:
    yield _header(keys)
    if not keys:
        return
    for start, end in _windows(run, keys):
        series = [store.read_series(run.id, k, start=start, end=end) for k in keys]
        piece = _wide_rows(series)
        if piece:
            yield piece


def export_csv(store: Store, run_id: str) -> str:
    return b"".join(iter_csv(store, run_id)).decode()


def _points_json(s: Series) -> bytes:
    """A window of one key's points as `[s,t,v],\\n[s,t,v]` (no enclosing brackets)."""
    if np.isfinite(s.values).all():
        rows = _rows(s.steps, [s.times, s.values])
    else:
        cells = zip(_cells(s.steps), _cells(s.times), _json_values(s.values), strict=True)
        rows = list(map(b",".join, cells))
    return b"[" + b"],\n[".join(rows) + b"]"


def _json_values(values: np.ndarray[Any, Any]) -> list[bytes]:
    """Values as JSON: numbers, or the quoted spelling of NaN/±inf."""
    cells = _cells(values)
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        cells[i] = b'"' + cells[i] + b'"'
    return cells


def iter_json(store: Store, run_id: str) -> Iterator[bytes]:
    """The JSON export in pieces; an unknown run raises before the first."""
    run = store.get_run(run_id)
    keys = sorted(store.metric_keys(run_id))
    return _json_pieces(store, run, keys)


def _json_pieces(store: Store, run: RunRecord, keys: list[str]) -> Iterator[bytes]:
    head = orjson.dumps(spell_all(run.to_json()), option=orjson.OPT_INDENT_2)
    yield b'{\n"run": ' + head + b',\n"metrics": {'
    for i, key in enumerate(keys):
        yield (b",\n" if i else b"\n") + orjson.dumps(key) + b": ["
        first = True
        for start, end in _windows(run, [key]):
            s = store.read_series(run.id, key, start=start, end=end)
            if s.steps.shape[0] == 0:
                continue
            yield (b"\n" if first else b",\n") + _points_json(s)
            first = False
        yield b"]"
    texts = [
        {"key": t.key, "step": t.step, "wall_time": t.wall_time, "text": t.text}
        for t in store.read_texts(run.id)
    ]
    media = [{**r.__dict__, "url": f"/api/v1/media/{r.digest}"} for r in store.read_media(run.id)]
    yield b'\n},\n"texts": ' + orjson.dumps(texts, option=orjson.OPT_INDENT_2)
    yield b',\n"media": ' + orjson.dumps(spell_all(media), option=orjson.OPT_INDENT_2) + b"}\n"


def export_json_bytes(store: Store, run_id: str) -> bytes:
    return b"".join(iter_json(store, run_id))


def export_json(store: Store, run_id: str) -> dict[str, Any]:
    """The run (with summary) and every stored point of every metric, in step order."""
    doc: dict[str, Any] = orjson.loads(export_json_bytes(store, run_id))
    return doc


def iter_series_csv(store: Store, run_id: str, key: str) -> Iterator[bytes]:
    """One key at full resolution as `step,wall_time,value` (a chart's "CSV" link). The run
    and key are checked by the caller; this reads the key window by window."""
    run = store.get_run(run_id)
    yield b"step,wall_time,value\n"
    for start, end in _windows(run, [key]):
        s = store.read_series(run_id, key, start=start, end=end)
        if s.steps.shape[0] == 0:
            continue
        yield b"\n".join(_rows(s.steps, [s.times, s.values])) + b"\n"
