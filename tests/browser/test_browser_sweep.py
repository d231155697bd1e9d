"""The Sweep page in the real Chromium over a real 12-trial Optuna study with a median pruner:
pruned and failed trials show as such, the best trial is marked in the table and the charts,
the table sorts and takes chosen columns (kept in the URL)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import optuna
import pytest
from browser_support import Server, shot, wait_until
from playwright.sync_api import Page, expect

import trainboard
from trainboard.integrations.optuna import TrainboardCallback

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def objective(trial: Any) -> float:
    """Gradient descent on least squares; a step size too large diverges (a failed trial)."""
    lr = trial.suggest_float("lr", 1e-3, 3.0, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.9)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=64)
    w, v = np.zeros(4), np.zeros(4)
    loss = float("nan")
    for epoch in range(8):
        for _ in range(5):
            v = momentum * v - lr * 2 * x.T @ (x @ w - y) / len(y)
            w = w + v
        loss = float(np.mean((x @ w - y) ** 2))
        trainboard.log({"train/loss": loss}, step=epoch)
        if not math.isfinite(loss) or loss > 1e6:
            raise RuntimeError(f"diverged at epoch {epoch}")
        trial.report(loss, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


def test_sweep_page_of_a_study(server: Server, ui: Page) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="gd-sweep",
        sampler=optuna.samplers.RandomSampler(seed=3),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    )
    tb = TrainboardCallback(metric_name="val_mse")
    study.optimize(tb.track(objective), n_trials=12, callbacks=[tb], catch=(RuntimeError,))
    states = [t.state.name for t in study.trials]
    n_pruned, n_failed = states.count("PRUNED"), states.count("FAIL")
    assert n_pruned and n_failed, states
    wait_until(lambda: server.api("/runs", project="gd-sweep").json()["total"] == 12, what="runs")
    best_name = f"trial-{study.best_trial.number}"
    best_id = tb.run_ids[study.best_trial.number]

    ui.goto(f"{server.url}/sweep?project=gd-sweep")
    summary = ui.get_by_test_id("sweep-summary")
    expect(summary).to_contain_text("12 runs")
    expect(summary.locator('[data-count="pruned"]')).to_have_text(f"pruned {n_pruned}")
    expect(summary.locator('[data-count="failed"]')).to_have_text(f"failed {n_failed}")
    expect(ui.get_by_test_id("sweep-best")).to_contain_text(f"Best trial {best_name}")

    table = ui.get_by_test_id("sweep-table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(12)
    expect(table.locator('tr[data-status="pruned"]')).to_have_count(n_pruned)
    expect(table.locator('tr[data-status="failed"]')).to_have_count(n_failed)
    expect(table.locator('tr[data-status="pruned"] .badge').first).to_have_text("pruned")
    # best first (objective ascending), marked with the trophy
    expect(rows.first).to_have_attribute("data-run-id", best_id)
    expect(table.get_by_test_id("best-trial")).to_have_count(1)
    expect(rows.first.get_by_test_id("best-trial")).to_be_visible()
    # sort by a parameter
    table.locator('th[data-col="param:lr"] button').click()
    lrs = sorted(t.params["lr"] for t in study.trials)
    low = [t for t in study.trials if t.params["lr"] == lrs[0]][0]
    expect(rows.first).to_have_attribute("data-run-id", tb.run_ids[low.number])
    assert "sort=param%3Alr" in ui.url or "sort=param:lr" in ui.url
    # choose a metric column
    ui.locator("details.sweep-columns summary").click()
    ui.locator('input[data-metric="train/loss"]').check()
    expect(table.locator('th[data-col="metric:train/loss"]')).to_be_visible()
    assert "metrics=train" in ui.url

    # the objective against each parameter, and parallel coordinates, best marked
    scatters = ui.get_by_test_id("sweep-scatters")
    expect(scatters.locator("figure")).to_have_count(2)
    expect(
        scatters.locator(f'figure[data-param="lr"] g.best[data-run-id="{best_id}"]')
    ).to_have_count(1)
    parallel = ui.get_by_test_id("sweep-parallel")
    expect(parallel.locator("path.line")).to_have_count(12)
    expect(parallel.locator(f'path.best[data-run-id="{best_id}"]')).to_have_count(1)
    shot(ui, "sweep-page")
