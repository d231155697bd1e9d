"""Every run understood through the API: roles per run, the "best" label, progress, health and
Compare on a run logged with the names the TensorBoard guides teach (issue #7)."""

from __future__ import annotations

import math
from pathlib import Path

from fastapi.testclient import TestClient

from trainboard.server.app import create_app
from trainboard.server.schemas import CompareOut
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

GUIDE = ["Loss/train", "Loss/validation", "Learning_Rate/lr", "Gradient/norm",
         "Performance/step_time_ms", "Performance/tokens_per_sec", "Training/epoch",
         "Evaluation/hellaswag_accuracy"]  # fmt: skip


def _guide_run(store: Store, rid: str, nan_from: int | None, created: float) -> None:
    store.create_run(RunRecord(rid, "p", rid, model="m", created_at=created, total_steps=200))
    steps = list(range(0, 100))
    times = [created + s for s in steps]
    loss = [3.0 - 0.01 * s for s in steps]
    if nan_from is not None:
        loss = [math.nan if s >= nan_from else v for s, v in zip(steps, loss, strict=True)]
    evals = steps[::10]
    batches = {
        "Loss/train": PointBatch.of(steps, times, loss),
        "Learning_Rate/lr": PointBatch.of(steps, times, [1e-4] * 100),
        "Gradient/norm": PointBatch.of(steps, times, [0.5 + 0.001 * s for s in steps]),
        "Performance/step_time_ms": PointBatch.of(steps, times, [1000.0] * 100),
        "Performance/tokens_per_sec": PointBatch.of(steps, times, [4096.0] * 100),
        "Training/epoch": PointBatch.of(steps, times, [s / 50 for s in steps]),
        "Loss/validation": PointBatch.of(
            evals, [created + s for s in evals], [3.1 - 0.01 * s for s in evals]
        ),
        "Evaluation/hellaswag_accuracy": PointBatch.of(
            evals, [created + s for s in evals], [0.25] * len(evals)
        ),
    }
    store.write_points(rid, batches)
    store.update_run(rid, status="finished", finished_at=created + 99)


def test_a_tensorboard_guide_run_is_understood(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/t.db"
    with open_store(url) as s:
        _guide_run(s, "aaaaaaaaaaaa", nan_from=80, created=1000.0)
        _guide_run(s, "bbbbbbbbbbbb", nan_from=None, created=2000.0)
        s.create_run(RunRecord("cccccccccccc", "p", "train-only", model="n", created_at=3000.0))
        s.write_points("cccccccccccc", {"train/loss": PointBatch.of([0, 1], [3000, 3001], [2, 1])})
        s.create_run(
            RunRecord("dddddddddddd", "p", "defined", created_at=4000.0, goals={"hs": "quality"})
        )
        s.write_points("dddddddddddd", {"hs": PointBatch.of([0, 1], [4000, 4001], [0.2, 0.3])})
    with TestClient(create_app(url)) as client:
        d = client.get("/api/v1/runs/aaaaaaaaaaaa").json()
        run = d["run"]
        assert {k: run["roles"][k]["role"] for k in GUIDE} == {
            "Loss/train": "train_loss", "Loss/validation": "eval_loss",
            "Learning_Rate/lr": "learning_rate", "Gradient/norm": "grad_norm",
            "Performance/step_time_ms": "throughput", "Performance/tokens_per_sec": "throughput",
            "Training/epoch": "epoch", "Evaluation/hellaswag_accuracy": "quality",
        }  # fmt: skip
        assert run["roles"]["Loss/train"]["group"] == run["roles"]["Loss/validation"]["group"]
        p = run["progress"]
        assert p["loss_key"] == "Loss/train" and p["loss"] == "NaN"
        assert p["grad_norm"] == 0.599 and p["epoch"] == 1.98
        assert run["best_label"] == "eval loss" and run["eval_key"] == "Loss/validation"
        h = d["health"]
        assert h["verdict"] == "critical", h
        assert "no loss logged" not in h["summary"]
        assert any("Loss/train" in f["saw"] for f in h["findings"])

        rows = {
            r["id"]: r for r in client.get("/api/v1/runs", params={"fields": "row"}).json()["runs"]
        }
        assert rows["cccccccccccc"]["best_label"] == "train/loss"
        assert rows["cccccccccccc"]["best_text"] == "1.0000"
        assert "roles" not in rows["cccccccccccc"]

        defined = client.get("/api/v1/runs/dddddddddddd").json()["run"]["roles"]["hs"]
        assert (defined["role"], defined["goal"], defined["explicit"]) == ("quality", "max", True)

        c = client.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb"}).json()
        assert c["metric"] == "Loss/validation" and c["train_loss_key"] == "Loss/train"
        assert c["roles"]["Gradient/norm"]["role"] == "grad_norm"
        by = {r["id"]: r for r in c["runs"]}
        assert by["bbbbbbbbbbbb"]["final_train_loss"] == 2.01
        assert by["aaaaaaaaaaaa"]["text"]["final_train_loss"] == "NaN"
        # the whole body is the documented pydantic model, NaN spelled as a string
        CompareOut.model_validate(c)
        # one text for each number: the Compare cell reads as the Run page and the Runs list
        listed = {r["id"]: r for r in client.get("/api/v1/runs").json()["runs"]}
        for rid in ("aaaaaaaaaaaa", "bbbbbbbbbbbb"):
            p = listed[rid]["progress"]
            assert by[rid]["text"]["duration_s"] == p["elapsed_text"] == "1m 39s"
            assert by[rid]["text"]["steps_per_s"] == p["steps_per_s_text"] == "1/s"  # 99 in 99 s
        assert by["aaaaaaaaaaaa"]["can_archive"] is True and by["aaaaaaaaaaaa"]["so_far"] is None
