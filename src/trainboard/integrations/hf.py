"""Hugging Face Trainer → trainboard: one callback, and the run shows the Trainer's training.

    from trainboard.integrations.hf import TrainboardCallback
    trainer = Trainer(model, args, ..., callbacks=[TrainboardCallback()])

or, once this module is imported, `TrainingArguments(report_to="trainboard")`.

What lands in the run:
- config: the `TrainingArguments` (as `to_dict()` gives them, tokens masked) with the model's
  config under `model` and its parameter count under `model_num_parameters`;
- model: `model.config._name_or_path` (the hub id or path it was loaded from), else its
  `model_type` ("gpt2") for a model built from a config, unless given;
- total steps: `state.max_steps`;
- metrics under the Trainer's own names, at `state.global_step`: `loss`, `grad_norm`,
  `learning_rate`, `epoch`, `num_input_tokens_seen` (with `include_num_input_tokens_seen`),
  `eval_*`; the one roles vocabulary (trainboard.roles) says what each name is, so nothing
  here keeps a list of them (only `loss` is defined as the train loss: the end-of-training
  mean `train_loss` would otherwise be read as the train loss curve);
- the run's summary: what the Trainer logs once when training ends (`END_OF_TRAINING`:
  `train_runtime`, `train_samples_per_second`, `train_steps_per_second`, `train_loss`,
  `total_flos`), as wandb's own callback keeps them;
- text: a `str` value in the logs (a generation callback calling `trainer.log`), or
  `callback.log_text(key, text)`;
- checkpoints: each `checkpoint-N` folder the Trainer saves, as an artifact of kind
  "checkpoint" recorded by reference (its absolute path: a 7B checkpoint is 15 GB), or copied
  into the store with `copy_checkpoints=True`; at the end, the Trainer's best checkpoint
  (`load_best_model_at_end`) once more as kind "best_checkpoint".

Resuming: the run id is saved in every checkpoint's `trainer_state.json` (the callback is an
`ExportableState`), so `trainer.train(resume_from_checkpoint=...)` continues the same run on one
timeline. Only the world's main process logs metrics (`state.is_world_process_zero`): under
torchrun or accelerate the other ranks join the job's one run (sdk/ranks.py) and report only
what each alone knows: its step rate, system metrics and, when the Trainer wrapped the model
in DistributedDataParallel, its wait in the all-reduce (sdk/commwait.py), from which the
straggler check names the rank the others wait for. The run is finished when training ends; a later
`trainer.evaluate()` re-opens it for its metrics and finishes it again.

`report_to="trainboard"`: transformers 5.x has no public way to register a reporting
integration (no entry points); `get_reporting_integration_callbacks` looks names up in the
module-level dict `transformers.integrations.integration_utils.INTEGRATION_TO_CALLBACK` when the
Trainer is made. Importing this module adds "trainboard" to that dict (and nothing else), so the
name works in any Trainer made after the import.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from trainboard.errors import MissingExtraError, RunNotFoundError, TrainboardWarning, UsageError

try:
    from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
    from transformers.integrations import integration_utils
    from transformers.trainer_callback import ExportableState
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("trainboard.integrations.hf", "hf", "transformers") from e

from trainboard.integrations.hf_names import END_OF_TRAINING
from trainboard.sdk.start import init
from trainboard.sdk.validate import is_number

if TYPE_CHECKING:
    from trainboard.sdk.run import Run

__all__ = ["TrainboardCallback"]

REPORT_TO_NAME = "trainboard"


class TrainboardCallback(TrainerCallback, ExportableState):
    """Record a `transformers.Trainer`'s training as a trainboard run (see the module docs).

    `project` defaults to `TrainingArguments.project` ("huggingface"), `name` to
    `TrainingArguments.run_name`, `model` to the model's `_name_or_path`. `store` is a store
    URL or SQLite path (default: TRAINBOARD_URL / TRAINBOARD_DB / TRAINBOARD_HOME)."""

    def __init__(
        self,
        project: str | None = None,
        name: str | None = None,
        model: str | None = None,
        tags: Sequence[str] | None = None,
        *,
        notes: str | None = None,
        store: str | None = None,
        copy_checkpoints: bool = False,
        log_checkpoints: bool = True,
        samples: Callable[..., Any] | None = None,
        samples_key: str = "eval/samples",
    ) -> None:
        self.project = project
        self.name = name
        self.model = model
        self.tags = list(tags or [])
        self.notes = notes
        self.store = store
        self.copy_checkpoints = copy_checkpoints
        self.log_checkpoints = log_checkpoints
        self.samples = samples  # called at each evaluation: a trainboard.Table (or None)
        self.samples_key = samples_key
        self.run_id: str | None = None  # saved in checkpoints, so a resumed fit finds its run
        self._run: Run | None = None
        self._training = False
        self._trained = False
        self._main: bool | None = None  # state.is_world_process_zero, once an event said
        self._step = 0

    # --- ExportableState: what a checkpoint keeps of this callback ---------------------------
    def state(self) -> dict[str, Any]:
        return {
            "args": {
                "project": self.project,
                "name": self.name,
                "model": self.model,
                "tags": self.tags,
                "notes": self.notes,
                "copy_checkpoints": self.copy_checkpoints,
                "log_checkpoints": self.log_checkpoints,
            },
            "attributes": {"run_id": self.run_id},
        }

    @property
    def run(self) -> Run | None:
        """The run being written (None before training starts and after it ends; on another
        rank of a multi-process job, that rank's part of the job's run, which stores none of
        the run's metrics)."""
        return self._run

    # --- the run --------------------------------------------------------------------------
    def _saved_run_id(self, state: TrainerState) -> str | None:
        """The run id a resumed Trainer's checkpoint holds (None for a fresh start)."""
        if self.run_id is not None:
            return self.run_id
        if state.global_step <= 0:
            return None
        stored: Any = state.stateful_callbacks  # a dict once loaded from trainer_state.json
        saved = stored.get(type(self).__name__) if isinstance(stored, dict) else None
        for entry in saved if isinstance(saved, list) else [saved]:
            if isinstance(entry, dict):
                rid = (entry.get("attributes") or {}).get("run_id")
                if isinstance(rid, str) and rid:
                    return rid
        return None

    def _open(self, args: TrainingArguments, state: TrainerState, model: Any) -> Run:
        if self._run is not None and not self._run.finished:
            return self._run
        resume = self._saved_run_id(state)
        try:
            run = self._init(args, state, model, resume)
        except RunNotFoundError:
            warnings.warn(
                f"TrainboardCallback: the checkpoint's run {resume} is not in this store; "
                "the resumed training is recorded as a new run",
                TrainboardWarning,
                stacklevel=2,
            )
            run = self._init(args, state, model, None)
        # The Trainer's per-step train loss is "loss"; its one end-of-training point, the mean
        # over the whole run, is "train_loss", which a reader would otherwise take for it.
        run.define_metric("loss", role="train_loss")
        self._run, self.run_id = run, run.id
        return run

    def _init(
        self, args: TrainingArguments, state: TrainerState, model: Any, resume: str | None
    ) -> Run:
        return init(
            project=self.project or getattr(args, "project", None) or None,
            name=self.name or args.run_name or None,
            model=self.model or _model_name(model),
            config=_config(args, model),
            total_steps=state.max_steps if state.max_steps and state.max_steps > 0 else None,
            tags=self.tags,
            resume=resume,
            # a resume from a checkpoint continues the run at the checkpoint's step: what the
            # attempt that died logged after it is kept as superseded (store/attempts.py)
            resume_from_step=state.global_step if resume and state.global_step > 0 else None,
            notes=self.notes,
            store=self.store,
            progress=False,  # the Trainer draws its own tqdm bar on the same terminal
        )

    def _close(self) -> None:
        run, self._run = self._run, None
        if run is not None:
            run.finish()

    # --- Trainer events -------------------------------------------------------------------
    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        self._main = state.is_world_process_zero
        if not self._main:
            if args.world_size > 1:  # another rank of the job: it reports its own rate,
                self._open(args, state, model)  # system metrics and all-reduce wait
                self._watch_ddp(model)
            return
        if state.global_step == 0 and self._trained:
            self.run_id = None  # a second fresh train() with this callback: a new run
        self._training = True
        self._step = state.global_step
        self._open(args, state, model)
        self._watch_ddp(model)

    def _watch_ddp(self, model: Any) -> None:
        """Time this rank's wait in DDP's all-reduce (sdk/commwait.py), when the Trainer
        wrapped the model in DistributedDataParallel: the straggler signal under DDP. The
        callback gets the inner model only, so its wrapper is looked up once."""
        if self._run is None or self._run.state.ranks is None:
            return  # a single process: no other rank to wait for
        from trainboard.sdk.commwait import find_ddp

        ddp = find_ddp(model)
        if ddp is not None:
            self._run.watch_ddp(ddp)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        self._main = state.is_world_process_zero
        if not self._main:
            if self._run is not None and logs:  # another rank: its step, for its own rate
                self._run.log(
                    {k: v for k, v in logs.items() if is_number(v)}, step=state.global_step
                )
            return
        if not logs:
            return
        run = self._open(args, state, model)
        self._step = state.global_step
        numbers = {k: v for k, v in logs.items() if is_number(v)}
        once = {k: numbers.pop(k) for k in END_OF_TRAINING if k in numbers}
        if once:  # one value for the whole run: its summary, not a one-point series
            run.summary.update(once)
        if numbers:
            run.log(numbers, step=state.global_step)
        for k, v in logs.items():
            if isinstance(v, str):
                run.log_text(k, v, step=state.global_step)
        if not self._training:
            self._close()  # trainer.evaluate() outside train(): record it and end the run again

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        """The sample-table hook: `samples(model=, state=, args=, **kwargs)` (e.g. the model's
        answers to a fixed set of prompts) is logged as `samples_key` at the global step."""
        if self.samples is None or not state.is_world_process_zero:
            return
        table = self.samples(model=model, state=state, args=args, **kwargs)
        if table is not None:
            self._open(args, state, model).log({self.samples_key: table}, step=state.global_step)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        """A stop asked for (`trainboard stop`, the Run page): end training after this step,
        saving a checkpoint first when the arguments save any; the run ends as "stopped"."""
        run = self._run
        if run is not None and run.should_stop and not control.should_training_stop:
            control.should_training_stop = True
            strategy = getattr(args.save_strategy, "value", args.save_strategy)
            if strategy != "no":
                control.should_save = True

    def on_save(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if not state.is_world_process_zero or not self.log_checkpoints or self._run is None:
            return
        folder = os.path.join(args.output_dir or "", f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
        if os.path.isdir(folder):  # hyperparameter search saves under a per-trial folder
            self._run.log_artifact(
                folder, kind="checkpoint", step=state.global_step, copy=self.copy_checkpoints
            )

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if not state.is_world_process_zero:
            self._close()  # another rank's reporter, when it opened one
            return
        self._training = False
        self._trained = True
        best = state.best_model_checkpoint
        if self._run is not None and self.log_checkpoints and best and os.path.isdir(best):
            self._run.log_artifact(
                best,
                kind="best_checkpoint",
                step=state.best_global_step,
                copy=self.copy_checkpoints,
            )
        self._close()

    # --- for other callbacks --------------------------------------------------------------
    def log_text(self, key: str, text: str, step: int | None = None) -> None:
        """Record a text sample (e.g. a generation callback's output) at `step` (default: the
        Trainer's current global step). A no-op off the main process, like every event."""
        if self._main is False:
            return
        if self._run is None:
            raise UsageError(
                "TrainboardCallback.log_text(): no open run; call it during trainer.train()"
            )
        self._run.log_text(key, text, step=self._step if step is None else step)

    def log_media(self, key: str, value: Any, step: int | None = None) -> None:
        """Record a trainboard.Image/Audio/Video/Table (or a list of them) at `step` (default:
        the Trainer's current global step). A no-op off the main process, like every event."""
        if self._main is False:
            return
        if self._run is None:
            raise UsageError(
                "TrainboardCallback.log_media(): no open run; call it during trainer.train()"
            )
        self._run.log({key: value}, step=self._step if step is None else step)


def _model_name(model: Any) -> str | None:
    """`model.config._name_or_path` ("Qwen/Qwen2.5-7B-Instruct", a local path), else, for a
    model built from a config, its architecture (`model_type`: "gpt2", "llama"), so its runs
    are grouped and ranked with that architecture's, not with every run that has no model."""
    cfg = getattr(model, "config", None)
    for attr in ("_name_or_path", "model_type"):
        name = getattr(cfg, attr, None)
        if isinstance(name, str) and name:
            return name
    return None


def _config(args: TrainingArguments, model: Any) -> dict[str, Any]:
    """The TrainingArguments, the model's config under "model", its parameter count."""
    config: dict[str, Any] = dict(args.to_dict())  # type: ignore[no-untyped-call]
    cfg = getattr(model, "config", None)
    if cfg is not None:
        config["model"] = cfg if isinstance(cfg, dict) else cfg.to_dict()
    peft = getattr(model, "peft_config", None)
    if peft is not None:
        config["peft"] = peft
    counter = getattr(model, "num_parameters", None)
    if callable(counter):
        try:
            config["model_num_parameters"] = int(counter())
        except (TypeError, ValueError, AttributeError):
            pass
    return config


integration_utils.INTEGRATION_TO_CALLBACK.setdefault(REPORT_TO_NAME, TrainboardCallback)
