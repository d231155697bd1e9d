"""Runs with known curves for the figure tests (a plain module, imported by name)."""

from __future__ import annotations

import math

import numpy as np

from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord, TextRecord

T0 = 1_700_000_000.0

# every role the six panels draw, under trainboard's own names
OWN_NAMES = {
    "train": "train/loss", "eval": "val/loss", "acc": "val/accuracy", "lr": "lr",
    "grad": "grad_norm", "speed": "tokens_per_s", "tokens": "tokens",
}  # fmt: skip
# the names the TensorBoard guides teach
TB_NAMES = {
    "train": "Loss/train", "eval": "Loss/validation", "acc": "Evaluation/hellaswag_accuracy",
    "lr": "Learning_Rate/lr", "grad": "Gradient/norm", "speed": "Performance/tokens_per_sec",
    "time": "Performance/step_time_ms",
}  # fmt: skip


def make_run(
    store: Store,
    run_id: str,
    name: str,
    *,
    n: int = 1000,
    names: dict[str, str] | None = None,
    seed: int = 0,
    eval_every: int = 100,
    texts: int = 0,
) -> RunRecord:
    """A run of `n` steps with a falling loss, a warm-up + cosine learning rate, an eval every
    `eval_every` steps whose loss is lowest at 60% of the run, and the roles in `names`."""
    names = OWN_NAMES if names is None else names
    rng = np.random.default_rng(seed)
    store.create_run(RunRecord(id=run_id, project="p", name=name, model="m", created_at=T0,
                               total_steps=n))  # fmt: skip
    s = np.arange(n, dtype=np.int64)
    t = T0 + s * 0.5
    loss = 3 * np.exp(-s / (n / 4)) + 0.5 + rng.normal(0, 0.05, n)
    warm = n // 10
    lr = np.where(
        s < warm, 3e-4 * s / warm, 1.5e-4 * (1 + np.cos(math.pi * (s - warm) / (n - warm)))
    )
    columns = {
        "train": loss, "lr": lr, "grad": np.abs(rng.normal(1, 0.2, n)),
        "speed": 8000 + rng.normal(0, 50, n), "time": 500 + rng.normal(0, 5, n),
        "tokens": (s + 1) * 4096.0,
    }  # fmt: skip
    batches = {names[k]: PointBatch(s, t, v) for k, v in columns.items() if k in names}
    e = s[::eval_every]
    eval_loss = 1.0 + ((e / n) - 0.6) ** 2
    if "eval" in names:
        batches[names["eval"]] = PointBatch(e, t[e], eval_loss)
    if "acc" in names:
        batches[names["acc"]] = PointBatch(e, t[e], 1 - eval_loss / 2)
    store.write_points(run_id, batches)
    if texts:
        rows = [TextRecord("samples", int(k), float(t[k]), f"sample $x$ at {k}\nline two")
                for k in s[:: max(1, n // texts)][:texts]]  # fmt: skip
        store.write_texts(run_id, rows)
    return store.get_run(run_id)
