"""An Optuna study recorded by trainboard: each trial a run (pip install 'trainboard[optuna]').

    python examples/optuna_sweep.py
    trainboard ls                      # trial-0 ... trial-23: finished, pruned, failed
    trainboard ui                      # the Sweep page: /sweep?project=gd-sweep

Gradient descent on a small least-squares problem; the median pruner stops trials that fall
behind, and a step size too large diverges (a failed trial)."""

from __future__ import annotations

import math
import os

import numpy as np
import optuna

import trainboard
from trainboard.integrations.optuna import TrainboardCallback

EPOCHS = 10


def objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-3, 3.0, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.9)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8))
    y = x @ rng.normal(size=8) + 0.1 * rng.normal(size=256)
    w, v = np.zeros(8), np.zeros(8)
    loss = float("nan")
    for epoch in range(EPOCHS):
        for _ in range(5):
            v = momentum * v - lr * 2 * x.T @ (x @ w - y) / len(y)
            w = w + v
        loss = float(np.mean((x @ w - y) ** 2))
        trainboard.log({"train/loss": loss}, step=epoch)  # live, into this trial's run
        if not math.isfinite(loss) or loss > 1e6:
            raise RuntimeError(f"diverged at epoch {epoch}")
        trial.report(loss, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


def main(trials: int = 24) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="gd-sweep",
        sampler=optuna.samplers.RandomSampler(seed=1),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1),
    )
    tb = TrainboardCallback(metric_name="val_mse")
    study.optimize(tb.track(objective), n_trials=trials, callbacks=[tb], catch=(RuntimeError,))
    print(f"best trial {study.best_trial.number}: val_mse {study.best_value:.4g}")


if __name__ == "__main__":
    main(int(os.environ.get("EXAMPLE_TRIALS", "24")))
