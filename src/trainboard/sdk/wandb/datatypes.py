"""wandb's data types (`wandb.Histogram`, `Html`, `Table`, `Image`, ...) and `wandb.Artifact`.

A value of one of these classes inside `log()` is kept the way trainboard can keep it:

    Histogram   a histogram (from a sequence, or the counts and edges of np_histogram)
    Html        a text sample (the markup as text: the UI never renders it as HTML)
    Image, Audio, Video, Table
                media (trainboard.sdk.media: the same classes as trainboard.Image...)
    Object3D, Molecule, Plotly
                not stored: the first one of each kind in a run warns once, naming the key

Each class says what to do through `_trainboard_log(run, key, step)`, which `Run.log()` calls
for a value whose class sets `_trainboard_media`, so the SDK needs no import of this module.
numpy and torch are imported only when a histogram is built.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from trainboard.errors import TrainboardWarning, UsageError
from trainboard.sdk.media import Audio, Image, Table, Video

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface


class _Media:
    """Base of the data types: marks the value for `Run.log()`."""

    _trainboard_media = True

    def _trainboard_log(self, run: RunSurface, key: str, step: int) -> None:
        raise NotImplementedError


class Histogram(_Media):
    """`wandb.Histogram(sequence=None, np_histogram=None, num_bins=64)`."""

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
    ) -> None:
        if sequence is None and np_histogram is None:
            raise ValueError("Histogram(): give a sequence or np_histogram=(counts, edges)")
        if np_histogram is not None:
            counts, edges = np_histogram
            self.histogram = [float(c) for c in counts]
            self.bins = [float(e) for e in edges]
            if len(self.bins) != len(self.histogram) + 1:
                raise ValueError(
                    f"Histogram(): np_histogram needs len(edges) == len(counts) + 1, got "
                    f"{len(self.bins)} edges for {len(self.histogram)} counts"
                )
            self._values: Any = None
        else:
            self._values = sequence
            self.histogram, self.bins = [], []
        self.num_bins = num_bins

    def _trainboard_log(self, run: RunSurface, key: str, step: int) -> None:
        if self._values is not None:
            run.log_histogram(key, self._values, step=step)
            return
        from trainboard.store.records import HistogramRecord

        lo, hi = self.bins[0], self.bins[-1]
        total = sum(
            (a + b) / 2 * c
            for a, b, c in zip(self.bins, self.bins[1:], self.histogram, strict=False)
        )
        record = HistogramRecord(
            key=key,
            step=step,
            wall_time=_now(),
            edges=self.bins,
            counts=self.histogram,
            min=lo,
            max=hi,
            count=int(sum(self.histogram)),
            sum=total,  # the bin centres weighted: the best estimate counts and edges allow
        )
        from trainboard.sdk.attached import log_histogram_record

        log_histogram_record(run.state, record)


class Html(_Media):
    """`wandb.Html(data, inject=True)`: markup as a str, an open file, or a file path."""

    def __init__(self, data: str | IO[str], inject: bool = True, data_is_not_path: bool = False):
        if hasattr(data, "read"):
            self.html = str(data.read())
        elif isinstance(data, str) and not data_is_not_path and _is_file(data):
            self.html = Path(data).read_text(encoding="utf-8")
        elif isinstance(data, str):
            self.html = data
        else:
            raise TypeError(f"Html(): expected a str or a file, got {type(data).__name__}")
        self.inject = inject

    def _trainboard_log(self, run: RunSurface, key: str, step: int) -> None:
        run.log_text(key, self.html, step=step)


class _NotStored(_Media):
    """A media kind trainboard cannot show: accepted, left out, one warning per run and kind."""

    def __init__(self, data_or_path: Any = None, *args: Any, **kwargs: Any) -> None:
        self.data = data_or_path
        self.caption = kwargs.get("caption")

    def _trainboard_log(self, run: RunSurface, key: str, step: int) -> None:
        warned = run.state.wandb_state().media_warned
        kind = type(self).__name__
        if kind not in warned:
            warned.add(kind)
            warnings.warn(
                f"log(): wandb.{kind} values are not stored by trainboard; left out {key!r} "
                f"(and any later {kind} of this run)",
                TrainboardWarning,
                stacklevel=4,
            )


class Object3D(_NotStored):
    """`wandb.Object3D(...)`: not stored (warns once)."""


class Molecule(_NotStored):
    """`wandb.Molecule(...)`: not stored (warns once)."""


class Plotly(_NotStored):
    """`wandb.Plotly(...)`: not stored (warns once)."""


class Artifact:
    """`wandb.Artifact(name, type, description=None, metadata=None)`: files to keep with a run.

    `run.log_artifact(artifact)` copies each added file or folder into the store's artifact
    folder as an artifact of kind `type`, named "<artifact name>/<file name>". References
    (`add_reference`) are remembered in the metadata only: nothing is downloaded."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        **_ignored: Any,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise UsageError(f"Artifact(): name must be a non-empty str, got {name!r}")
        if not isinstance(type, str) or not type:
            raise UsageError(f"Artifact(): type must be a non-empty str, got {type!r}")
        self.name = name
        self.type = type
        self.description = description
        self.metadata = dict(metadata or {})
        self.files: list[tuple[Path, str]] = []
        self.references: list[str] = []
        self._tmp: Path | None = None

    def add_file(
        self, local_path: str | os.PathLike[str], name: str | None = None, **_: Any
    ) -> None:
        p = Path(local_path)
        if not p.is_file():
            raise UsageError(f"Artifact.add_file(): no file at {str(p)!r}")
        self.files.append((p, name or p.name))

    def add_dir(
        self, local_path: str | os.PathLike[str], name: str | None = None, **_: Any
    ) -> None:
        p = Path(local_path)
        if not p.is_dir():
            raise UsageError(f"Artifact.add_dir(): no folder at {str(p)!r}")
        self.files.append((p, name or p.name))

    def add_reference(self, uri: str, name: str | None = None, **_: Any) -> None:
        self.references.append(uri)
        self.metadata.setdefault("references", []).append(uri)

    @contextmanager
    def new_file(
        self, name: str, mode: str = "w", encoding: str | None = None
    ) -> Iterator[IO[Any]]:
        import tempfile

        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="trainboard-artifact-"))
        path = self._tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, mode, encoding=encoding) as f:
            yield f
        self.files.append((path, name))

    def save(self) -> None:
        """Accepted for compatibility (log it with run.log_artifact)."""

    def wait(self, timeout: int | None = None) -> Artifact:
        return self

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} type={self.type!r} files={len(self.files)}>"


def _is_file(s: str) -> bool:
    if "\n" in s or "<" in s or len(s) > 4096:
        return False
    try:
        return Path(s).is_file()
    except OSError:
        return False


def _now() -> float:
    import time

    return time.time()


MEDIA_TYPES = (Histogram, Html, Table, Image, Video, Audio, Object3D, Molecule, Plotly)

__all__ = [
    "Artifact",
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Molecule",
    "Object3D",
    "Plotly",
    "Table",
    "Video",
]
