"""Keras's `model.fit` as a trainboard run, with the real keras package on the torch backend
(CPU): per-batch train metrics, per-epoch validation metrics at the batch count, progress to
epochs × steps per epoch, and the end-of-fit values in the run's summary (#18)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
keras = pytest.importorskip("keras")

import trainboard  # noqa: E402
from trainboard.analysis.progress import progress_for  # noqa: E402
from trainboard.integrations.keras import TrainboardCallback  # noqa: E402
from trainboard.roles import role_of  # noqa: E402
from trainboard.store import RunQuery, open_store  # noqa: E402


def _fit(callback: TrainboardCallback, epochs: int = 3) -> None:
    """y = 3x - 1 by a tiny dense net: 64 samples, batches of 16 (3 train batches per epoch
    after validation_split=0.25 keeps 16 aside)."""
    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    y = 3 * x - 1
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1)])  # fmt: skip
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=16, epochs=epochs, validation_split=0.25, verbose=0,
              shuffle=False, callbacks=[callback])  # fmt: skip


def test_fit_is_a_run_with_batches_epochs_progress_and_an_end_of_fit_summary(
    tb_home: str,
) -> None:
    callback = TrainboardCallback(project="keras", name="regression", config={"lr": 1e-3})
    _fit(callback)
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        loss = s.read_series(run.id, "loss")
        val = s.read_series(run.id, "val_loss")
        epoch = s.read_series(run.id, "epoch")
        values = s.read_run_values(run.id, "summary")
        prog = progress_for(s, run)
    assert callback.run is not None and callback.run.id == run.id
    assert (run.name, run.status, run.config, run.total_steps) == (
        "regression", "finished", {"lr": 1e-3}, 9,
    )  # fmt: skip
    assert loss.steps.tolist() == list(range(1, 10))  # one point per batch
    assert val.steps.tolist() == [3, 6, 9] and epoch.values.tolist() == [1.0, 2.0, 3.0]
    assert {"mae", "val_mae"} <= set(run.summary)
    # the roles vocabulary reads Keras's names: `loss` trains, `val_*` evaluates
    assert role_of("loss").role == "train_loss" and role_of("val_loss").role == "eval_loss"
    assert role_of("val_mae").split == "eval"
    assert (prog.step, prog.total_steps, prog.percent) == (9, 9, 100.0)
    # what fit ends with is the run's summary, not one more point of a series
    assert values["val_loss"] == pytest.approx(float(val.values[-1]), rel=1e-6)
    assert values["loss"] > 0 and values["fit_time_s"] > 0
    assert "fit_time_s" not in run.summary  # no series of it


def test_a_given_run_goes_on_across_fits(tb_home: str) -> None:
    run = trainboard.init(project="keras", name="two-fits")
    callback = TrainboardCallback(run=run)
    _fit(callback, epochs=1)
    _fit(callback, epochs=1)
    assert not run.finished  # the caller's run: the callback does not end it
    run.finish()
    with open_store() as s:
        steps = s.read_series(run.id, "loss").steps.tolist()
        assert s.get_run(run.id).total_steps == 6
    assert steps == list(range(1, 7))  # the second fit continues the first's batch count
