"""Figures during training: `init(figures=N, figures_dir=...)` or `run.save_figures(every=N)`.

Every N steps the run's chart set (`trainboard.report.charts`: loss with its moving average,
accuracy, throughput, learning rate, loss-vs-accuracy, the recent window, text samples, and
`metrics_history.json` / `text_samples.json`) is rewritten in a folder, and once more when the
run ends, so the folder always holds the whole run.

Why a child process: drawing nine charts takes a second or more of CPU, most of it holding a
GIL. In a thread of the training process that second would be taken from the training loop.
So a small watcher thread here only reads `run.step` twice a second (no lock, no work in
`log()`: its cost is what it was), and when a multiple of N is passed it flushes the run and
asks a long-lived child (`python -m trainboard.sdk.figures`, matplotlib imported once) to draw
from the store. A request while the child is still drawing is merged into the next one. The
child exits when its stdin closes, so it never outlives the training process, and runs at a
lower priority (nice 10), so on a busy machine the training loop keeps its share of the CPU.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainboard import settings
from trainboard.errors import TrainboardWarning, UsageError

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface

__all__ = ["DEFAULT_DIR", "FigureSaver", "start_figures"]

DEFAULT_DIR = "trainboard-figures"  # figures_dir default: ./trainboard-figures/<run id>
_POLL_S = 0.5  # how often the watcher reads run.step
_FLUSH_S = 5.0  # how long a render waits for the run's points to reach the store
_FINAL_S = 120.0  # how long finish() waits for the last set


def _check_every(every: object) -> int:
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise UsageError(f"save_figures(): every must be a positive number of steps, got {every!r}")
    return every


class FigureSaver:
    """The watcher thread and its drawing child for one run."""

    def __init__(
        self, run: RunSurface, every: int, folder: Path, *, smooth: int, recent: int
    ) -> None:
        self.run = run
        self.every = every
        self.folder = folder
        self.renders = 0  # sets the child finished
        self._next_at = every
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one request to the child at a time
        self._warned = False
        remote = remote_of(run)
        cmd = [sys.executable, "-m", "trainboard.sdk.figures", "--run", run.id,
               "--dir", str(folder), "--store", run.store_url, "--remote", remote,
               "--smooth", str(smooth), "--recent", str(recent)]  # fmt: skip
        self._child = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._thread = threading.Thread(
            target=self._watch, name=f"trainboard-figures-{run.id}", daemon=True
        )
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(_POLL_S):
            step = self.run.step
            if step >= self._next_at:
                self._next_at = (step // self.every + 1) * self.every
                self.render()

    def render(self, timeout: float = _FLUSH_S) -> bool:
        """Flush the run and draw its set now; True when the child wrote it."""
        with self._lock:
            child = self._child
            if child.poll() is not None or child.stdin is None or child.stdout is None:
                self._warn(f"the figure process exited with code {child.returncode}")
                return False
            self.run.flush(timeout)
            try:
                child.stdin.write("render\n")
                child.stdin.flush()
                reply = child.stdout.readline().strip()
            except (BrokenPipeError, OSError) as e:
                self._warn(f"the figure process is gone ({e})")
                return False
            if reply == "ok":
                self.renders += 1
                return True
            self._warn(reply or "the figure process exited")
            return False

    def close(self, timeout: float = _FINAL_S) -> None:
        """Stop watching, draw the final set (everything is in the store by now), end the
        child. A run stopped by Ctrl-C or SIGTERM skips the final set: a job being shut
        down must not wait on a picture."""
        self._stop.set()
        self._thread.join(timeout)
        if not self._thread.is_alive() and not self.run.interrupted:
            self.render()
        child = self._child
        if child.stdin is not None:
            try:
                child.stdin.close()
            except OSError:
                pass
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"trainboard: figures of run {self.run.id} not written: {message}",
                TrainboardWarning,
                stacklevel=2,
            )


def remote_of(run: RunSurface) -> str:
    """The server a run sends to ("" for a store URL): TRAINBOARD_URL, unless init() was
    given its own store (then the run's store_url is not the configured one)."""
    return settings.remote_url() if run.store_url == settings.store_url() else ""


def start_figures(
    run: RunSurface,
    every: int,
    folder: str | os.PathLike[str] | None = None,
    *,
    smooth: int = 50,
    recent: int = 200,
) -> FigureSaver | None:
    """Start saving `run`'s figures every `every` steps into `folder` (default
    ./trainboard-figures/<run id>); None on a run that does not record (another rank)."""
    _check_every(every)
    if not run.enabled or run.finished:
        return None
    where = Path(folder) if folder is not None else Path(DEFAULT_DIR) / run.id
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"save_figures(): cannot make folder {str(where)!r}: {e}") from None
    _require_matplotlib()
    return FigureSaver(run, every, where.resolve(), smooth=smooth, recent=recent)


def _require_matplotlib() -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError(
            "save_figures(): figures need matplotlib: pip install 'trainboard[report]'"
        )


# --- the child ---------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    try:
        os.nice(10)  # drawing gives way to training when they share a core
    except (AttributeError, OSError):
        pass
    from trainboard.report.charts import write_charts
    from trainboard.sdk.selection import open_selected

    store: Any = None
    for line in sys.stdin:
        if line.strip() != "render":
            continue
        try:
            if store is None:
                store = open_selected(args.store, args.remote)
            write_charts(store, args.run, args.dir, smooth=args.smooth, recent=args.recent)
            reply = "ok"
        except Exception as e:  # reported to the training process, which warns once
            reply = f"{type(e).__name__}: {e}".replace("\n", " ")
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()
    if store is not None:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainboard.sdk.figures")
    p.add_argument("--run", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--remote", default="")
    p.add_argument("--smooth", type=int, default=50)
    p.add_argument("--recent", type=int, default=200)
    return _serve(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
