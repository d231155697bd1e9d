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
    add_image(tag, img, step, dataformats="CHW")    an image (media, lossless PNG)
    add_images(tag, imgs, step, dataformats="NCHW") the images of a batch under one key
    add_figure(tag, figure, step, close=True)       a matplotlib figure as an image
    add_audio(tag, snd, step, sample_rate=44100)    a sound (every sample kept)
    add_video(tag, vid, step, fps=4)                a video (N x T x C x H x W: the first)
    add_graph, add_embedding, add_mesh...           not stored (a warning, once per kind);
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
        st = self.run.state
        st.check_open("add_scalar()")
        st.summary.update(values)
        if st.writer is not None:
            st.writer.enqueue_points(step, float(walltime), dict(values))

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

    # media --------------------------------------------------------------------------------
    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        from trainboard.sdk.media import Image

        pixels = _layout(img_tensor, dataformats, "HWC")
        self.run.log({tag: Image(pixels)}, step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        from trainboard.sdk.media import Image

        batch = _layout(img_tensor, dataformats, "NHWC")
        self.run.log({tag: [Image(b) for b in batch]}, step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_images(tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        from trainboard.sdk.media import Image

        figures = figure if isinstance(figure, list) else [figure]
        images = [Image(f) for f in figures]  # drawn now, before torch's writer closes them
        self.run.log(
            {tag: images if isinstance(figure, list) else images[0]}, step=self._step(global_step)
        )
        if self._tb is not None:
            self._tb.add_figure(tag, figure, global_step, close, walltime)
        elif close:
            import matplotlib.pyplot as plt

            for f in figures:
                plt.close(f)

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        from trainboard.sdk.media import Audio

        samples = _numpy(snd_tensor)
        if samples.ndim == 2 and samples.shape[0] == 1:
            samples = samples[0]  # torch's (1, L)
        self.run.log({tag: Audio(samples, sample_rate=sample_rate)}, step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_audio(tag, snd_tensor, global_step, sample_rate, walltime)

    def add_video(
        self,
        tag: str,
        vid_tensor: Any,
        global_step: int | None = None,
        fps: int | float = 4,
        walltime: float | None = None,
    ) -> None:
        from trainboard.sdk.media import Video

        frames = _numpy(vid_tensor)
        if frames.ndim == 5:
            frames = frames[0]  # torch's N x T x C x H x W: the first video
        self.run.log({tag: Video(frames, fps=fps)}, step=self._step(global_step))
        if self._tb is not None:
            self._tb.add_video(tag, vid_tensor, global_step, fps, walltime)

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
        if name.startswith("add_"):  # add_graph, add_embedding, add_mesh, ...
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


def _numpy(x: Any) -> Any:
    import numpy as np

    if (type(x).__module__ or "").startswith("torch"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _layout(x: Any, have: str, want: str) -> Any:
    """`x` with its axes named by `have` ("CHW", "HW", "NCHW"...) put in `want`'s order."""
    a = _numpy(x)
    have = have.upper()
    if a.ndim != len(have):
        raise ValueError(f"dataformats={have!r} needs a {len(have)}-d array, got shape {a.shape}")
    if "C" not in have:
        a, have = a[..., None], have + "C"
    if "N" in want and "N" not in have:
        a, have = a[None], "N" + have
    return a.transpose([have.index(c) for c in want])
