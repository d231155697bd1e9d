"""Lightning → trainboard: a `Logger`, so a fit shows up as a run with one argument.

    from trainboard.integrations.lightning import TrainboardLogger
    trainer = lightning.Trainer(max_steps=2000, logger=TrainboardLogger(project="lit-gpt"))

What lands in the run:
- config: what `log_hyperparams` gets (the LightningModule's `save_hyperparameters()`, the
  DataModule's), nested as given (the config diff flattens it with dots);
- total steps: `trainer.max_steps`, else `trainer.estimated_stepping_batches` of the fit;
- metrics under Lightning's own names (`train_loss_step`, `train_loss_epoch`, `val_loss`,
  `epoch`, `lr-AdamW`...) at the step Lightning gives; the one roles vocabulary
  (trainboard.roles) says what each name is;
- the run's summary: what `trainer.test()` logs (`test_loss`, `test_acc`...), one value each
  for the whole run, not one-point series;
- the best checkpoint of each `ModelCheckpoint` (its `best_model_path`), as an artifact of kind
  "best_checkpoint" at the step it was saved, recorded by reference unless
  `copy_checkpoints=True`;
- the status: `finalize("success")` → finished; `finalize("failed")` → failed with the
  exception's text in the notes, or killed when the exception is a KeyboardInterrupt (Lightning
  calls finalize inside its `except` block, so the exception is still at hand).

`experiment` is the `trainboard.Run` (log texts or histograms through it); `name` is the
project and `version` the run id, so a ModelCheckpoint without a dirpath saves under
`<default_root_dir>/<project>/<run id>/checkpoints`. Only global rank 0 writes; the others get
Lightning's dummy experiment, so they report no per-rank metrics (docs/distributed.md says
what a multi-process job therefore lacks). A `trainer.validate()` or `trainer.test()` after
the fit re-opens the same run for its metrics and finishes it again. `import lightning`
takes seconds, so `import trainboard` never imports this module.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trainboard.errors import MissingExtraError

try:
    from lightning.fabric.loggers.logger import rank_zero_experiment
    from lightning.fabric.utilities.rank_zero import rank_zero_only
    from lightning.pytorch.callbacks import Callback, ModelCheckpoint
    from lightning.pytorch.loggers.logger import Logger
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("trainboard.integrations.lightning", "lightning", "lightning") from e

from trainboard.sdk.hooks import outcome
from trainboard.sdk.start import init, resume_at_step
from trainboard.sdk.validate import as_config, is_number

if TYPE_CHECKING:
    from trainboard.sdk.run import Run

__all__ = ["TrainboardLogger"]


class TrainboardLogger(Logger):
    """A Lightning `Logger` that writes one trainboard run per fit (see the module docs).

    `resume` continues a stored run (its id) instead of starting one; `store` is a store URL
    or SQLite path (default: TRAINBOARD_URL / TRAINBOARD_DB / TRAINBOARD_HOME)."""

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
        resume: str | None = None,
        store: str | None = None,
        copy_checkpoints: bool = False,
    ) -> None:
        super().__init__()
        self._project = project
        self._run_name = name
        self._model = model
        self._config = as_config(config)
        self._tags = list(tags or [])
        self._total_steps = total_steps
        self._notes = notes
        self._store = store
        self._copy = copy_checkpoints
        self._run: Run | None = None
        self._run_id: str | None = resume
        self._checkpoints: list[ModelCheckpoint] = []
        self._saved_at: dict[str, int] = {}  # checkpoint path -> global step when saved
        self._kept: set[str] = set()  # best checkpoints already recorded
        self._stage: str | None = None  # the trainer's fit/validate/test, once log_graph said
        self._resumed = False  # this logger's run continues a stored one (resume=)

    # --- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The project (Lightning's experiment name)."""
        return self._project or "default"

    @property
    def version(self) -> str | None:
        """The run id (the run starts here if it has not yet; None on other ranks)."""
        if _rank() > 0 or self._run_id is not None:
            return self._run_id
        return self._open().id

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The trainboard Run (Lightning's dummy experiment on ranks other than 0). After the
        fit it is the finished run; the next validate/test re-opens it when it starts."""
        return self._run if self._run is not None else self._open()

    def _open(self) -> Run:
        if self._run is not None and not self._run.finished:
            return self._run
        self._resumed = self._run_id is not None and self._run is None
        run = init(
            project=self._project,
            name=self._run_name,
            model=self._model,
            config=self._config,
            total_steps=self._total_steps,
            tags=self._tags,
            resume=self._run_id,
            notes=self._notes,
            store=self._store,
        )
        self._run, self._run_id = run, run.id
        return run

    # --- what Lightning calls ---------------------------------------------------------------
    @rank_zero_only
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any
    ) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        self._config.update(as_config(values))
        self._open().update_config(values)

    @rank_zero_only
    def log_graph(self, model: Any, input_array: Any = None) -> None:
        """Called once at the start of every fit/validate/test with the LightningModule: the
        moment the trainer (and so the fit's total steps) can be read."""
        trainer = getattr(model, "_trainer", None)
        self._stage = getattr(getattr(trainer, "state", None), "fn", None)
        total = _total_steps(trainer) if self._total_steps is None else self._total_steps
        run = self._open()
        if trainer is not None and not any(
            isinstance(c, _StopWhenAsked) for c in trainer.callbacks
        ):
            trainer.callbacks.append(_StopWhenAsked(run, self))  # checked after every batch
        if total is not None and run.total_steps != total:
            self._total_steps = run.total_steps = total

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        numbers = {k: v for k, v in metrics.items() if is_number(v)}
        if numbers and self._stage == "test":  # once, after the fit: the run's summary
            self._open().summary.update({k: v for k, v in numbers.items() if k != "epoch"})
        elif numbers:
            self._open().log(numbers, step=step)

    @rank_zero_only
    def log_image(
        self,
        key: str,
        images: list[Any],
        step: int | None = None,
        caption: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """WandbLogger's `log_image`: images (arrays, tensors, PIL images, paths) as media."""
        from trainboard.sdk.media import Image

        caps: list[str | None] = list(caption) if caption else [None] * len(images)
        items = [Image(i, caption=c) for i, c in zip(images, caps, strict=True)]
        self._open().log({key: items}, step=step)

    @rank_zero_only
    def log_audio(
        self,
        key: str,
        audios: list[Any],
        step: int | None = None,
        sample_rate: list[int] | None = None,
        caption: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """WandbLogger's `log_audio`: sounds (samples with their rates, or files) as media."""
        from trainboard.sdk.media import Audio

        rates: list[int | None] = list(sample_rate) if sample_rate else [None] * len(audios)
        caps: list[str | None] = list(caption) if caption else [None] * len(audios)
        items = [
            Audio(a, sample_rate=r, caption=c) for a, r, c in zip(audios, rates, caps, strict=True)
        ]
        self._open().log({key: items}, step=step)

    @rank_zero_only
    def log_table(
        self,
        key: str,
        columns: list[str] | None = None,
        data: list[list[Any]] | None = None,
        dataframe: Any = None,
        step: int | None = None,
    ) -> None:
        """WandbLogger's `log_table`: a sample table (text, numbers, media cells)."""
        from trainboard.sdk.media import Table

        table = Table(columns=columns, data=data, dataframe=dataframe)
        self._open().log({key: table}, step=step)

    def save(self) -> None:
        """Nothing to do: Lightning calls this after every log_metrics, and the run's
        background writer already writes at least twice a second."""

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        if _rank() > 0:
            return
        if checkpoint_callback not in self._checkpoints:
            self._checkpoints.append(checkpoint_callback)
        run = self._run
        step = run.step if run is not None and run.step >= 0 else 0
        for path in (checkpoint_callback.last_model_path, *checkpoint_callback.best_k_models):
            if path and path not in self._saved_at:
                self._saved_at[path] = step

    @rank_zero_only
    def finalize(self, status: str) -> None:
        run = self._run
        if run is None or run.finished:
            return
        self._keep_best(run)
        if status == "success":
            run.finish()
            return
        exc = sys.exc_info()[1]
        how, notes = outcome(exc) if exc is not None else ("failed", f"Lightning: {status}")
        run.finish(how if how != "finished" else "failed", notes)

    def _keep_best(self, run: Run) -> None:
        for cb in self._checkpoints:
            path = cb.best_model_path
            if not path or path in self._kept:
                continue
            try:
                run.log_artifact(
                    path, kind="best_checkpoint", step=self._saved_at.get(path), copy=self._copy
                )
            except ValueError:
                continue  # deleted since it was saved: nothing left to record
            self._kept.add(path)


class _StopWhenAsked(Callback):
    """Sets `trainer.should_stop` once the run is asked to stop (`trainboard stop`, the Run
    page): Lightning ends the fit after the batch, and the run ends as "stopped". The logger
    adds it itself at fit start, since a logger sees no batch end of its own.

    At train start of a fit from `ckpt_path` that resumed a run (`TrainboardLogger(resume=)`),
    Lightning has restored the checkpoint and `trainer.global_step` is its step: the run
    continues there, and what the attempt that died logged after it is kept as superseded
    (store/attempts.py). Earlier the step is unknown: Lightning touches the logger's
    experiment (opening the run) before it restores the checkpoint."""

    def __init__(self, run: Run, logger: TrainboardLogger) -> None:
        self.run = run
        self.logger = logger

    def on_train_start(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self.logger._resumed and getattr(trainer, "ckpt_path", None):
            self.logger._resumed = False
            resume_at_step(self.run, int(trainer.global_step))

    def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self.run.should_stop and not trainer.should_stop:
            trainer.should_stop = True


def _rank() -> int:
    """The global rank Lightning set (0 when it set none)."""
    return int(getattr(rank_zero_only, "rank", 0) or 0)


def _total_steps(trainer: Any) -> int | None:
    """The fit's optimizer steps: max_steps when set, else Lightning's own estimate."""
    if trainer is None or getattr(trainer.state, "fn", None) != "fit":
        return None
    if isinstance(trainer.max_steps, int) and trainer.max_steps > 0:
        return trainer.max_steps
    try:
        est = trainer.estimated_stepping_batches
    except Exception:  # a configuration Lightning cannot estimate: no total, no ETA
        return None
    return int(est) if isinstance(est, int | float) and 0 < est < float("inf") else None
