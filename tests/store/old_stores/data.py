"""The runs every old store holds: written by make.py under each old commit's code, read back
by tests/store/test_migrations.py under the current code. Plain Python and numpy only (it must
run under the store code of any commit)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

T0 = 1_764_000_000.0

RUNS: list[dict[str, Any]] = [
    {
        "id": "0123456789ab",
        "project": "p",
        "name": "lr3e-5",
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "status": "finished",
        "config": {"lr": 3e-5, "batch_size": 32},
        "tags": ["sweep-1"],
        "total_steps": 300,
        "created_at": T0,
        "finished_at": T0 + 100.0,
    },
    {
        "id": "ba9876543210",
        "project": "p",
        "name": "lr1e-4",
        "model": None,
        "status": "crashed",
        "config": {"lr": 1e-4},
        "tags": [],
        "total_steps": None,
        "created_at": T0 + 1.0,
        "finished_at": None,
    },
]


def series(run_index: int) -> dict[str, tuple[list[int], list[float], list[float]]]:
    """Each key's (steps, wall times, values): jittered times (narrow-int deltas), float32
    losses, a smooth float64 schedule, a NaN and an inf, and a gap in the steps."""
    rng = np.random.default_rng(run_index)
    n = 300
    steps = [*range(0, 200), *range(250, 350)]
    times = [T0 + 0.1 * i + float(rng.integers(0, 900)) / 1e6 for i in range(n)]
    loss = [float(np.float32(3.0 - 0.005 * i + 0.01 * (run_index + 1))) for i in range(n)]
    loss[17] = math.nan
    lr = [3e-5 * math.cos(i / n) for i in range(n)]
    evals = [float(np.float32(2.0 - 0.1 * i)) for i in range(10)]
    evals[3] = math.inf
    return {
        "train/loss": (steps, times, loss),
        "lr": (steps, times, lr),
        "eval/loss": ([s * 30 for s in range(10)], times[:10], evals),
    }


TEXTS = [("samples", 20, T0 + 2.0, "Once upon a time"), ("samples", 40, T0 + 4.0, "Über")]
HISTOGRAM = {
    "key": "weights/layer0",
    "step": 100,
    "wall_time": T0 + 10.0,
    "edges": [0.0, 0.5, 1.0],
    "counts": [3.0, 4.0],
    "min": 0.0,
    "max": 1.0,
    "count": 7,
    "sum": 3.5,
}
ARTIFACT = {"name": "step_2000.pt", "kind": "checkpoint", "step": 2000, "path": "a/b.pt",
            "size": 123, "wall_time": T0 + 20.0}  # fmt: skip
