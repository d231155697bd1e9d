"""The smallest real use of trainboard: log a (simulated) training loop, then look at it.

    python examples/quickstart.py
    trainboard ls
    trainboard show quickstart        # progress, health, config, metric summaries
    trainboard ui                     # the dashboard

Swap the fake loss for your model's and this is the whole integration."""

from __future__ import annotations

import math
import random

import trainboard

STEPS = 300
BATCH_TOKENS = 8 * 512

with trainboard.init(
    project="examples",
    name="quickstart",
    model="toy",
    config={"lr": 3e-4, "batch_size": 8, "seq_len": 512, "max_grad_norm": 1.0},
    total_steps=STEPS,
    tags=["example"],
) as run:
    for step in range(1, STEPS + 1):
        loss = 2.5 * math.exp(-step / 120) + 0.8 + random.gauss(0, 0.03)
        run.log(
            {
                "train/loss": loss,
                "lr": 3e-4 * min(1.0, step / 30),
                "grad_norm": abs(random.gauss(0.5, 0.1)),
                "tokens": step * BATCH_TOKENS,
                "epoch": step / 100,
            },
            step=step,
        )
        if step % 50 == 0:
            run.log({"eval/loss": loss + 0.1}, step=step)
            run.log_text("samples", f"step {step}: the model says hello", step=step)
    print(f"logged run {run.id}: trainboard show {run.id}")
