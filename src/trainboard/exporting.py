"""Export one run's metrics as JSON or a wide CSV (the CLI's `export` and the server's
`export.json` / `export.csv` call these, so both write the same bytes).

JSON: `{"run": {...}, "metrics": {"<key>": [[step, wall_time, value], ...]}}`, every stored
point in step order.
CSV: a `step` column, then one column per metric (keys sorted), one row per step any metric was
logged at, empty where a metric has no value at that step.

Non-finite values: JSON has no NaN or infinity (and orjson would write null, losing them), so
both formats write the strings "NaN", "Infinity" and "-Infinity" — the convention of
docs/api.md. Python's float(), pandas and JavaScript's Number() all read them back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from trainboard import jsonvalues
from trainboard.jsonvalues import spell, spell_all
from trainboard.store.base import Series, Store


def _points(s: Series) -> list[list[Any]]:
    values: list[Any] = s.values.tolist()
    if not np.isfinite(s.values).all():
        values = [spell(v) for v in values]
    return [list(p) for p in zip(s.steps.tolist(), s.times.tolist(), values, strict=True)]


def export_json(store: Store, run_id: str) -> dict[str, Any]:
    """The run (with summary) and every stored point of every metric, in step order."""
    run = store.get_run(run_id)
    metrics = {
        key: _points(store.read_series(run_id, key)) for key in sorted(store.metric_keys(run_id))
    }
    return {"run": spell_all(run.to_json()), "metrics": metrics}


def export_json_bytes(store: Store, run_id: str) -> bytes:
    return orjson.dumps(export_json(store, run_id), option=orjson.OPT_INDENT_2) + b"\n"


def iter_csv(store: Store, run_id: str) -> Iterator[str]:
    """The wide CSV, one line at a time (the server streams it)."""
    store.get_run(run_id)  # an unknown run raises RunNotFoundError before any output
    keys = sorted(store.metric_keys(run_id))
    series = [store.read_series(run_id, k) for k in keys]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def line(row: list[str]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(row)
        return out.getvalue()

    yield line(["step", *keys])
    if not series:
        return
    steps = np.unique(np.concatenate([s.steps for s in series]))
    columns: list[list[str]] = []
    for s in series:
        col = [""] * len(steps)
        # step order with unique steps per key (the store's contract), so positions are exact
        for i, v in zip(np.searchsorted(steps, s.steps).tolist(), s.values.tolist(), strict=True):
            col[i] = jsonvalues.text(v)
        columns.append(col)
    for i, step in enumerate(steps.tolist()):
        yield line([str(step), *(c[i] for c in columns)])


def export_csv(store: Store, run_id: str) -> str:
    return "".join(iter_csv(store, run_id))
