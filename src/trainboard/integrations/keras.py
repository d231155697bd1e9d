"""Keras → trainboard: one callback, and `model.fit` shows up as a run.

    from trainboard.integrations.keras import TrainboardCallback
    model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[TrainboardCallback(project="mnist")])

What lands in the run:
- total steps: epochs × steps per epoch, as `fit` knows them (`self.params`), unless given;
- metrics under Keras's own names, at the count of batches trained so far: after each batch
  its logs (`loss`, `accuracy`, ...: Keras's running means over the epoch), and at each
  epoch's end `epoch` and what only the epoch knows (`val_loss`, `val_accuracy`,
  `learning_rate`). The one roles vocabulary (trainboard.roles) reads `loss` as the train
  loss and `val_*` as eval metrics, so nothing here keeps a list of names;
- the run's summary: the logs `fit` ends with (the last epoch's `loss`, `val_loss`, ...) and
  `fit_time_s`, one value each for the whole fit, not one-point series (as Lightning's test
  metrics and the Hugging Face Trainer's end-of-training values are).

The callback starts a run when the fit starts and finishes it when the fit ends, unless it is
given a `run` (then that run goes on: several fits, or a fit inside a longer script). A fit
that raises leaves the run to the SDK's exit hooks, which mark it failed. `import keras` takes
seconds, so `import trainboard` never imports this module.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trainboard.errors import MissingExtraError

try:
    from keras.callbacks import Callback
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("trainboard.integrations.keras", "keras", "keras") from e

from trainboard.sdk.start import init
from trainboard.sdk.validate import is_number

if TYPE_CHECKING:
    from trainboard.sdk.run import Run

__all__ = ["TrainboardCallback"]


def _numbers(logs: Mapping[str, Any] | None) -> dict[str, float]:
    """The numeric values of a Keras logs dict (scalars, numpy or backend tensors)."""
    out: dict[str, float] = {}
    for k, v in (logs or {}).items():
        value = v.item() if hasattr(v, "item") and getattr(v, "ndim", 0) == 0 else v
        if is_number(value):
            out[k] = float(value)
    return out


class TrainboardCallback(Callback):  # type: ignore[misc]
    """A Keras callback that writes `model.fit` as a trainboard run (see the module docs).

    The arguments are `trainboard.init`'s; `run` continues a run the caller started (and
    finishes) instead."""

    def __init__(
        self,
        project: str | None = None,
        name: str | None = None,
        model: str | None = None,
        config: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        *,
        total_steps: int | None = None,
        notes: str | None = None,
        store: str | None = None,
        run: Run | None = None,
    ) -> None:
        super().__init__()
        self._init_args: dict[str, Any] = {
            "project": project,
            "name": name,
            "model": model,
            "config": dict(config or {}),
            "tags": list(tags or []),
            "notes": notes,
            "store": store,
        }
        self._total_steps = total_steps
        self._run = run
        self._owns_run = run is None
        self._step = max(run.step, 0) if run is not None else 0  # batches trained so far
        self._started = 0.0

    @property
    def run(self) -> Run | None:
        """The trainboard run the fit writes to (None before the first fit)."""
        return self._run

    def _fit_total(self) -> int | None:
        """epochs × steps per epoch of this fit, when Keras knows both."""
        epochs, steps = self.params.get("epochs"), self.params.get("steps")
        if isinstance(epochs, int) and isinstance(steps, int) and epochs > 0 and steps > 0:
            return self._step + epochs * steps
        return None

    # --- what Keras calls -------------------------------------------------------------------
    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._started = time.monotonic()
        total = self._total_steps if self._total_steps is not None else self._fit_total()
        if self._run is None or (self._owns_run and self._run.finished):
            self._run = init(**self._init_args, total_steps=total)
            self._step = 0
        elif total is not None and self._total_steps is None:
            self._run.total_steps = total

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        assert self._run is not None
        self._step += 1
        numbers = _numbers(logs)
        if numbers:
            self._run.log(numbers, step=self._step)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """The epoch's values at its last batch's step: `epoch` (1 once the first epoch is
        done), the validation metrics and the learning rate; the train metrics are the
        batches' last running means again."""
        assert self._run is not None
        self._run.log({"epoch": float(epoch + 1), **_numbers(logs)}, step=self._step)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        """The logs `fit` ends with and its time go to the run's summary; a run this callback
        started is finished."""
        assert self._run is not None
        final = _numbers(logs)
        final["fit_time_s"] = time.monotonic() - self._started
        self._run.summary.update(final)
        if self._owns_run:
            self._run.finish()
