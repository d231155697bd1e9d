"""`from trainboard.tensorboard import SummaryWriter`: torch's SummaryWriter, recording into
trainboard (and, with `also_tensorboard=True`, into TensorBoard files as well).

    writer = SummaryWriter("runs/exp1")            # the run is named "runs/exp1"
    for step in range(1000):
        writer.add_scalar("Loss/train", loss, step)
    writer.add_hparams({"lr": 3e-4}, {"hparam/accuracy": acc})
    writer.close()                                 # or: with SummaryWriter(...) as writer:

The signatures are `torch.utils.tensorboard.SummaryWriter`'s. What maps to what:

    add_scalar(tag, value, global_step, walltime)   a point of metric `tag` (walltime kept)
    add_scalars(main_tag, {tag: value}, step)       metrics "main_tag/tag" in the same run
                                                    (torch writes a folder per tag instead)
    add_histogram(tag, values, global_step)         a histogram (64 bins)
    add_text(tag, text, global_step)                a text sample
    add_hparams(hparams, metrics)                   hparams merged into the run's config, the
                                                    metrics logged as points
    add_image, add_figure, add_graph, add_audio...  not stored (a warning, once per kind);
                                                    written to the TensorBoard files if asked
    flush(), close(), the context manager           flush / finish the run (failed when the
                                                    `with` block raised)

A call without `global_step` uses the writer's `global_step`: the last step given to it (0
before any). torch is imported only with `also_tensorboard=True`.
"""

from __future__ import annotations

import os
import socket
import warnings
from datetime import datetime
from types import TracebackType
from typing import Any

from trainboard.errors import MissingExtraError, TrainboardWarning
from trainboard.sdk.run import Run
from trainboard.sdk.start import init


def _default_log_dir(comment: str) -> str:
    """torch's default: runs/<Mon>DD_HH-MM-SS_<host><comment>."""
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """torch's SummaryWriter, recording into a trainboard run named by `log_dir`."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
        *,
        project: str | None = None,
        also_tensorboard: bool = False,
        **init_kwargs: Any,
    ) -> None:
        self.log_dir = os.fspath(log_dir) if log_dir is not None else _default_log_dir(comment)
        self.global_step = 0
        self._warned: set[str] = set()
        self._tb: Any = None
        if also_tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter as TorchWriter
            except ImportError:
                raise MissingExtraError(
                    "SummaryWriter(also_tensorboard=True)", "tensorboard", "torch and tensorboard"
                ) from None
            self._tb = TorchWriter(
                self.log_dir, comment, purge_step, max_queue, flush_secs, filename_suffix
            )
        self.run: Run = init(
            project=project or "tensorboard", name=self.log_dir.replace(os.sep, "/"), **init_kwargs
        )

    # torch's accessors ------------------------------------------------------------------
    def get_logdir(self) -> str:
        return self.log_dir

    def _step(self, global_step: int | None) -> int:
        if global_step is None:
            return self.global_step
        step = int(global_step)
        self.global_step = step
        return step

    # what trainboard keeps ------------------------------------------------------------------
    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        step = self._step(global_step)
        self._points(step, walltime, {tag: scalar_value})
        if self._tb is not None:
            self._tb.add_scalar(tag, scalar_value, global_step, walltime, new_style)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        step = self._step(global_step)
        self._points(step, walltime, {f"{main_tag}/{k}": v for k, v in tag_scalar_dict.items()})
        if self._tb is not None:
            self._tb.add_scalars(main_tag, tag_scalar_dict, global_step, walltime)

    def _points(self, step: int, walltime: float | None, values: dict[str, Any]) -> None:
        if walltime is None:
            self.run.log(values, step=step)
            return
        from trainboard.sdk.validate import check_item

        for k, v in values.items():  # at the wall time given, beside log()'s own clock
            check_item("add_scalar()", k, v)
        self.run._check_open("add_scalar()")
        self.run._summary.update(values)
        w = self.run._writer
        if w is not None:
            w.enqueue_points(step, float(walltime), dict(values))

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: str = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        self.run.log_histogram(tag, values, step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_histogram(tag, values, global_step, bins, walltime, max_bins)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        self.run.log_text(tag, text_string, step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_text(tag, text_string, global_step, walltime)

    def add_hparams(
        self,
        hparam_dict: dict[str, Any],
        metric_dict: dict[str, Any],
        hparam_domain_discrete: dict[str, list[Any]] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        self.run.update_config(hparam_dict)
        if metric_dict:
            self.run.log(dict(metric_dict), step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_hparams(
                hparam_dict, metric_dict, hparam_domain_discrete, run_name, global_step
            )

    # what it does not keep -------------------------------------------------------------------
    def _not_stored(self, kind: str, *args: Any, **kwargs: Any) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            warnings.warn(
                f"SummaryWriter.{kind}(): not stored by trainboard"
                + (" (written to the TensorBoard files)" if self._tb is not None else ""),
                TrainboardWarning,
                stacklevel=3,
            )
        if self._tb is not None:
            getattr(self._tb, kind)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("add_"):  # add_image, add_figure, add_graph, add_audio, ...
            return lambda *args, **kwargs: self._not_stored(name, *args, **kwargs)
        raise AttributeError(f"SummaryWriter has no attribute {name!r}")

    # the end ---------------------------------------------------------------------------------
    def flush(self) -> None:
        self.run.flush()
        if self._tb is not None:
            self._tb.flush()

    def close(self) -> None:
        self.run.finish()
        if self._tb is not None:
            self._tb.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.run.__exit__(exc_type, exc, tb)
        if self._tb is not None:
            self._tb.close()


__all__ = ["SummaryWriter"]
