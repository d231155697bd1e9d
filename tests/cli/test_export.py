"""`trainboard export`: exact CSV and JSON for a run with known points (NaN/inf included)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import T0, Invoke

from trainboard.store.records import RunRecord

CSV = "step,lr,train/loss,val/loss\n0,0.1,2.5,\n1,,NaN,\n2,0.05,2.0,Infinity\n"


def test_export_csv_exact(invoke: Invoke, known_run: RunRecord) -> None:
    r = invoke("export", "aaaa", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout == CSV


def test_export_json_exact(invoke: Invoke, known_run: RunRecord, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    r = invoke("export", "known", "--format", "json", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert f"to {out}" in r.stderr
    doc = json.loads(out.read_text())
    assert doc["metrics"] == {
        "lr": [[0, T0, 0.1], [2, T0 + 2, 0.05]],
        "train/loss": [[0, T0, 2.5], [1, T0 + 1, "NaN"], [2, T0 + 2, 2.0]],
        "val/loss": [[2, T0 + 2, "Infinity"]],
    }
    assert doc["run"]["id"] == "aaaa00000001" and doc["run"]["name"] == "known"
    assert doc["run"]["config"] == {"lr": 0.1, "max_grad_norm": 1.0}
    assert doc["run"]["summary"]["train/loss"]["last"] == 2.0
    assert doc["run"]["summary"]["val/loss"]["last"] == "Infinity"


def test_export_run_without_points(invoke: Invoke, cli_store: object) -> None:
    from cli_support import make_run

    make_run(cli_store, "bbbb00000001", "empty")
    assert invoke("export", "empty").stdout == "step\n"
    doc = json.loads(invoke("export", "empty", "-f", "json").stdout)
    assert doc["metrics"] == {} and doc["run"]["id"] == "bbbb00000001"


def test_export_unknown_run_and_format(invoke: Invoke, known_run: RunRecord) -> None:
    r = invoke("export", "nope")
    assert r.exit_code == 1
    assert r.stderr.strip() == "error: no run with id 'nope'"
    r = invoke("export", "known", "--format", "xml")
    assert r.exit_code == 2 and "xml" in r.stderr
