"""trainboard.exporting streams a run window by window: whatever the window size, the wide CSV,
the JSON and a key's CSV hold every stored point exactly once, in step order, with NaN/±inf
spelled (both engines)."""

from __future__ import annotations

import csv
import io
import math

import orjson
import pytest

from trainboard import exporting
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0


def _seed(store: Store) -> dict[str, dict[int, float]]:
    """Two keys on different steps (a train loss every step, an eval loss every 7th, one NaN
    and one inf), the steps starting at 3 and ending at 200: a window edge falls inside a
    chunk and between a key's points."""
    store.create_run(RunRecord(id="exp000000001", project="p", name="a,b", created_at=T0))
    train = {s: 2.0 / s for s in range(3, 201)}
    train[50] = math.nan
    evals = {s: 1.0 + s / 1000 for s in range(7, 201, 7)}
    evals[140] = math.inf
    batches = {
        k: PointBatch.of(list(d), [T0 + s / 4 for s in d], list(d.values()))
        for k, d in {"train/loss": train, "eval,loss": evals}.items()
    }
    store.write_points("exp000000001", batches)
    return {"train/loss": train, "eval,loss": evals}


def _same(a: str, b: float) -> bool:
    return str(b) == a or (math.isnan(b) and a == "NaN") or (math.isinf(b) and a == "Infinity")


@pytest.mark.parametrize("window", [1, 17, 1_000_000])
def test_every_point_once_whatever_the_window(
    store: Store, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _seed(store)
    monkeypatch.setattr(exporting, "WINDOW_POINTS", window)

    rows = list(csv.reader(io.StringIO(exporting.export_csv(store, "exp000000001"))))
    assert rows[0] == ["step", "eval,loss", "train/loss"]
    steps = sorted(set(data["train/loss"]) | set(data["eval,loss"]))
    assert [int(r[0]) for r in rows[1:]] == steps
    for r in rows[1:]:
        s = int(r[0])
        for cell, key in zip(r[1:], ["eval,loss", "train/loss"], strict=True):
            assert (cell == "") == (s not in data[key]), (s, key, cell)
            if cell:
                assert _same(cell, data[key][s]), (s, key, cell)

    doc = orjson.loads(exporting.export_json_bytes(store, "exp000000001"))
    assert doc["run"]["name"] == "a,b"
    for key, points in doc["metrics"].items():
        assert [p[0] for p in points] == sorted(data[key])
        assert [p[1] for p in points] == [T0 + s / 4 for s in sorted(data[key])]
    assert doc["metrics"]["train/loss"][47][2] == "NaN"
    assert doc["metrics"]["eval,loss"][19][2] == "Infinity"

    lines = b"".join(exporting.iter_series_csv(store, "exp000000001", "eval,loss")).decode()
    body = lines.splitlines()
    assert body[0] == "step,wall_time,value"
    assert [int(x.split(",")[0]) for x in body[1:]] == sorted(data["eval,loss"])
    assert body[1] == f"7,{T0 + 7 / 4!r},1.007"


def test_pieces_stay_about_a_window(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays flat: no piece holds much more than a window's points."""
    _seed(store)
    monkeypatch.setattr(exporting, "WINDOW_POINTS", 20)
    pieces = list(exporting.iter_csv(store, "exp000000001"))
    assert len(pieces) > 8
    assert max(p.count(b"\n") for p in pieces) <= 40
