"""A real 12-trial Optuna study with a median pruner, on a small real objective (gradient
descent on a least-squares problem), recorded through TrainboardCallback."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

import trainboard  # noqa: E402
from trainboard.integrations.optuna import TrainboardCallback  # noqa: E402
from trainboard.store import open_store  # noqa: E402
from trainboard.store.queries import RunQuery  # noqa: E402
from trainboard.store.records import RunRecord  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

EPOCHS = 8


def _problem() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=64)
    return x, y


def objective(trial: Any) -> float:
    """Full-batch gradient descent; the validation loss is reported every epoch. A step size
    past the stable range makes the loss explode: that trial fails, as a real run would."""
    lr = trial.suggest_float("lr", 1e-3, 3.0, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.9)
    x, y = _problem()
    w = np.zeros(4)
    v = np.zeros(4)
    loss = float("nan")
    for epoch in range(EPOCHS):
        for _ in range(5):
            grad = 2 * x.T @ (x @ w - y) / len(y)
            v = momentum * v - lr * grad
            w = w + v
        loss = float(np.mean((x @ w - y) ** 2))
        trainboard.log({"train/loss": loss}, step=epoch)  # the live run of this trial
        if not math.isfinite(loss) or loss > 1e6:
            raise RuntimeError(f"diverged at epoch {epoch}: loss {loss:.3g}")
        trial.report(loss, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


def _runs() -> dict[str, RunRecord]:
    with open_store() as s:
        return {r.name: r for r in s.list_runs(RunQuery())}


def test_a_study_with_a_pruner_is_one_project_of_runs_with_pruned_and_failed_trials(
    tb_home: str,
) -> None:
    study = optuna.create_study(
        study_name="gd-sweep",
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=3),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    )
    tb = TrainboardCallback(metric_name="val_mse")
    study.optimize(tb.track(objective), n_trials=12, callbacks=[tb], catch=(RuntimeError,))

    runs = _runs()
    trials = {t.number: t for t in study.trials}
    assert len(runs) == 12 and set(tb.run_ids) == set(range(12))
    states = {t.state for t in trials.values()}
    assert {optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL} <= states, states
    expect = {"COMPLETE": "finished", "PRUNED": "pruned", "FAIL": "failed"}
    for n, t in trials.items():
        run = runs[f"trial-{n}"]
        assert run.id == tb.run_ids[n]
        assert (run.project, run.tags) == ("gd-sweep", ["gd-sweep"])
        assert run.status == expect[t.state.name], (n, t.state, run.status)
        assert run.config == t.params
        assert run.goals == {"val_mse": "quality:min:last"}
        with open_store() as s:
            got = s.read_series(run.id, "val_mse") if "val_mse" in run.summary else None
        reported = dict(sorted(t.intermediate_values.items()))
        if t.state.name == "COMPLETE":
            assert got is not None and got.values[-1] == t.value
            assert got.steps.tolist() == list(reported)
        elif t.state.name == "PRUNED":
            assert got is not None and got.values.tolist() == list(reported.values())
            assert len(reported) < EPOCHS
        else:
            assert run.notes is not None and run.notes.startswith("RuntimeError: diverged at epoch")
            assert "train/loss" in run.summary  # logged live, before it diverged
    best = runs[f"trial-{study.best_trial.number}"]
    assert best.summary["val_mse"].last == study.best_value


def test_callback_alone_records_trials_when_they_end(tb_home: str) -> None:
    study = optuna.create_study(
        study_name="plain", directions=["minimize", "maximize"],
        sampler=optuna.samplers.RandomSampler(seed=0),
    )  # fmt: skip
    tb = TrainboardCallback(project="sweeps", metric_name=["err", "acc"], tags=["mo"])

    def two(trial: Any) -> tuple[float, float]:
        a = trial.suggest_int("layers", 1, 4)
        b = trial.suggest_categorical("act", ["relu", "tanh"])
        return 1.0 / a, a * (2 if b == "relu" else 1)

    study.optimize(two, n_trials=3, callbacks=[tb])
    runs = _runs()
    assert sorted(runs) == ["trial-0", "trial-1", "trial-2"]
    for t in study.trials:
        run = runs[f"trial-{t.number}"]
        assert (run.project, run.tags, run.status) == ("sweeps", ["mo", "plain"], "finished")
        assert run.config == t.params
        assert run.goals == {"err": "quality:min:last", "acc": "quality:max:last"}
        assert [run.summary["err"].last, run.summary["acc"].last] == t.values
    with pytest.raises(ValueError, match="metric_name has 1 names, but the study has 2"):
        TrainboardCallback(metric_name=["x"])(study, study.trials[0])


def test_a_trial_is_judged_by_its_objective_not_its_best_report(tb_home: str) -> None:
    """Trial 0 reports 0.9625 on the way but returns 0.935; trial 1 reports and returns 0.94.
    The study's best is trial 1, and so are best_run, Compare and the Runs list's values."""
    from trainboard.analysis.compare import compare, rank_in_groups

    study = optuna.create_study(study_name="acc", direction="maximize")
    tb = TrainboardCallback(metric_name="accuracy")
    paths = {0: ([0.90, 0.9625, 0.95], 0.935), 1: ([0.91, 0.93, 0.94], 0.94)}

    def objective(trial: Any) -> float:
        reports, final = paths[trial.number]
        for step, v in enumerate(reports):
            trial.report(v, step)
        return final

    study.optimize(objective, n_trials=2, callbacks=[tb])
    assert study.best_trial.number == 1
    api = trainboard.Api()
    best = api.best_run(project="acc")
    assert best.name == "trial-1"
    with open_store() as s:
        runs = s.list_runs(RunQuery(project="acc"))
        c = compare(s, [tb.run_ids[0], tb.run_ids[1]])
        series = s.read_series(tb.run_ids[0], "accuracy").values.tolist()
    assert c.best == tb.run_ids[1] and c.metric == "accuracy" and c.goal == "max"
    assert [r.best_value for r in c.runs] == [0.94, 0.935]
    ranks = rank_in_groups(runs)
    assert ranks[tb.run_ids[0]].best_value == 0.935 and not ranks[tb.run_ids[0]].group_best
    assert ranks[tb.run_ids[1]].group_best
    # the reports stay the series (the objective is logged at the last report's step)
    assert series[:2] == [0.90, 0.9625] and series[-1] == 0.935


@pytest.mark.slow  # the example script in a child process
def test_example_script_records_a_study(tb_home: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "optuna_sweep.py"
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    env["EXAMPLE_TRIALS"] = "8"
    r = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=240
    )
    assert r.returncode == 0, r.stderr[-3000:]
    runs = _runs()
    assert sorted(runs) == sorted(f"trial-{i}" for i in range(8))
    assert {r.project for r in runs.values()} == {"gd-sweep"}
    assert r.stdout.startswith("best trial ")


def test_pruned_is_a_status_both_engines_store_and_filter(store: Any) -> None:
    store.create_run(RunRecord(id="a1b2c3d4e5f6", project="p", name="trial-0", status="pruned"))
    store.create_run(RunRecord(id="f6e5d4c3b2a1", project="p", name="trial-1"))
    store.update_run("f6e5d4c3b2a1", status="pruned")
    got = store.list_runs(RunQuery(status="pruned"))
    assert sorted(r.name for r in got) == ["trial-0", "trial-1"]
    assert store.list_runs(RunQuery(status="finished")) == []
