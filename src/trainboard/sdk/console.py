"""Progress in the training terminal: `init(progress=True)`, on by default when stderr is a
terminal.

One live line at the bottom of the terminal, redrawn in place:

    lr3e-5 ━━━━━━━━━━━━╸       1,234/2,000 61.7% 1m 2s<40s 19.8 steps/s 81,200 tok/s loss 2.3141

The numbers are the dashboard's: `analysis.progress.progress_for` over the run as stored
(smoothed steps/s, an ETA that does not jitter, tokens/s from the cumulative token count, the
train loss by role), read by a background thread twice a second, so `log()` is untouched.

While the line is shown, `print()` and `logging` output scroll above it and never tear it:
rich's Live display swaps sys.stdout / sys.stderr for proxies that print above the line, and
logging handlers that already hold the real stream are pointed at the proxy too (and back at
the end). When stderr is not a terminal (CI, a log file) nothing is shown unless progress is
forced (`progress=True`); then a plain line is printed every TRAINBOARD_PROGRESS_INTERVAL
seconds instead, and once at the end.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from trainboard import settings
from trainboard.analysis import format as fmt

if TYPE_CHECKING:
    from trainboard.analysis.progress import Progress
    from trainboard.sdk.run import Run
    from trainboard.store.base import Store

__all__ = ["BAR_WIDTH", "ProgressLine", "progress_text", "start_progress", "wants_progress"]

BAR_WIDTH = 20
_REFRESH_S = 0.5  # how often the numbers are read from the store
_active_lock = threading.Lock()
_active: ProgressLine | None = None  # one live line per terminal


def wants_progress(progress: bool | None, stream: TextIO | None = None) -> str | None:
    """ "live", "plain" or None (off) for init(progress=...): None means on at a terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    if progress is None:
        return "live" if tty else None
    if progress is True:
        return "live" if tty else "plain"
    if progress is False:
        return None
    from trainboard.errors import UsageError

    raise UsageError(f"init(): progress must be True, False or None, got {progress!r}")


def bar(fraction: float | None, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells, half cells shown; unknown totals draw an empty track."""
    if fraction is None:
        return "╺" + "━" * (width - 1) if width else ""
    f = min(max(fraction, 0.0), 1.0)
    halves = int(f * width * 2)
    full, half = divmod(halves, 2)
    return "━" * full + ("╸" if half else "") + " " * (width - full - half)


def progress_text(p: Progress, name: str, *, with_bar: bool = True) -> str:
    """The line: bar, step/total, %, elapsed<ETA, steps/s, tokens/s, loss (unknown parts left
    out, except the step)."""
    parts: list[str] = []
    if with_bar:
        parts.append(bar(None if p.percent is None else p.percent / 100))
    step = fmt.integer(p.step) if p.step is not None else "0"
    parts.append(f"{step}/{fmt.integer(p.total_steps)}" if p.total_steps else f"step {step}")
    if p.percent is not None:
        parts.append(fmt.percent(p.percent))
    parts.append(f"{p.elapsed_text}<{p.eta_text}" if p.total_steps else p.elapsed_text)
    if p.steps_per_s is not None:
        parts.append(fmt.rate(p.steps_per_s, "steps"))
    if p.tokens_per_s is not None:
        parts.append(fmt.rate(p.tokens_per_s, "tok"))
    if p.loss is not None:
        parts.append(f"loss {fmt.number(p.loss)}")
    if p.status != "running":
        parts.append(p.status)
    return f"{name} " + " ".join(parts)


class ProgressLine:
    """The reader thread and the display (a rich Live line, or plain lines)."""

    def __init__(self, run: Run, mode: str, store: Store) -> None:
        self.run = run
        self.mode = mode
        self.store = store
        self.text = ""
        self._stop = threading.Event()
        self._live: Any = None
        self._handlers: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._interval = _REFRESH_S if mode == "live" else settings.progress_interval()
        self._thread = threading.Thread(
            target=self._loop, name=f"trainboard-progress-{run.id}", daemon=True
        )

    # the numbers ------------------------------------------------------------------------
    def refresh(self) -> str:
        from trainboard.analysis.progress import progress_for

        record = self.store.get_run(self.run.id)
        p = progress_for(self.store, record)
        self.text = progress_text(p, self.run.name, with_bar=self.mode == "live")
        return self.text

    # display ----------------------------------------------------------------------------
    def start(self) -> None:
        if self.mode == "live":
            self._start_live()
        self._thread.start()

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        real_out, real_err = sys.stdout, sys.stderr
        console = Console(file=real_err, highlight=False, markup=False)
        self._live = Live(
            Text(f"{self.run.name}  starting…"),
            console=console,
            refresh_per_second=4,
            transient=False,
            redirect_stdout=True,
            redirect_stderr=True,
        )
        self._live.start()
        # handlers made before init() hold the real streams: point them at the proxies
        for handler in _stream_handlers():
            if handler.stream is real_err:
                self._handlers.append((handler, real_err))
                handler.setStream(sys.stderr)
            elif handler.stream is real_out:
                self._handlers.append((handler, real_out))
                handler.setStream(sys.stdout)

    def _show(self) -> None:
        if self.mode == "live":
            from rich.text import Text

            self._live.update(Text(self.text, no_wrap=True, overflow="ellipsis"))
        else:
            sys.stderr.write(self.text + "\n")
            sys.stderr.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.refresh()
            except Exception:  # the store is briefly unreachable: keep the last line
                continue
            self._show()

    def close(self) -> None:
        """Show the final line (the run has ended: status, whole-run rates) and stop."""
        global _active
        self._stop.set()
        self._thread.join(5.0)
        try:
            self.refresh()
            self._show()
        except Exception:
            pass
        if self._live is not None:
            self._live.stop()
            for handler, stream in self._handlers:
                handler.setStream(stream)
            self._live = None
        try:
            self.store.close()
        except Exception:
            pass
        with _active_lock:
            if _active is self:
                _active = None


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    loggers: list[Any] = [logging.getLogger()]
    loggers += [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    out = []
    for lg in loggers:
        for h in lg.handlers:
            if type(h) is logging.StreamHandler:  # not FileHandler (a subclass)
                out.append(h)
    return out


def start_progress(run: Run, progress: bool | None) -> ProgressLine | None:
    """Start the progress line of `run` as `progress` asks (see wants_progress); None when
    off, on a run that does not record, or while another run's line is shown."""
    global _active
    mode = wants_progress(progress)
    if mode is None or not run.enabled:
        return None
    with _active_lock:
        if _active is not None:
            return None
        from trainboard.sdk.figures import remote_of
        from trainboard.sdk.selection import open_selected

        line = ProgressLine(run, mode, open_selected(run.store_url, remote_of(run)))
        _active = line
    line.start()
    return line
