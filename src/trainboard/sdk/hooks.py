"""How a run gets its final status when the script does not call finish().

    normal interpreter exit (atexit)        -> finished (killed if SIGINT had arrived)
    uncaught exception (sys.excepthook)     -> failed, the exception text in notes
    uncaught KeyboardInterrupt              -> killed
    SIGTERM / SIGINT (signal handlers)      -> flushed first, then killed
    the process dies (SIGKILL, OOM killer)  -> nothing can run here: analysis/status.py
                                               derives "crashed" from a dead pid / old heartbeat

Handlers are installed once, on the first init() (signals only from the main thread), and
chain to whatever was there before. A forked child (DataLoader worker) inherits them but acts
only on runs its own process made.

A SIGTERM that arrives while a run of this process is already ending (its writer writing the
final status, e.g. after an uncaught exception) waits until that write is done (`ending()`,
bounded by the writer's timeout), then takes effect: launchers such as torchrun send SIGTERM
to every rank the moment one fails, and a process that died mid-write would leave its run
"running" for recovery to call "crashed" with no word of why.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from trainboard.errors import RunStopped

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface

_EXIT_TIMEOUT = 4.5  # seconds an exiting process waits for the store; its journal keeps the rest
_SIGNAL_TIMEOUT = 4.5  # SIGTERM: well within the ~30 s schedulers allow before SIGKILL
_SIGINT_FLUSH_TIMEOUT = 2.0  # a person pressed Ctrl-C: do not keep them waiting

_active: list[RunSurface] = []
_enders: dict[int, Callable[[RunSurface, str, str | None, float], None]] = {}
"""How each active run ends (finish.end, handed over by install: finish imports this module)."""
_installed_pid: int | None = None
_signals_installed = False
_previous_excepthook: Any = None
_previous_signal: dict[int, Any] = {}
_ending: dict[int, int] = {}
"""Runs ending now, per process id (a forked child does not inherit its parent's ends)."""
_deferred: dict[int, int] = {}
"""A signal held back until this process's ends are written (process id -> signal)."""
_ending_lock = threading.Lock()


@contextlib.contextmanager
def ending() -> Iterator[None]:
    """Around a run's final write (sdk/finish.py): a SIGTERM that arrives meanwhile is held
    back, then delivered again once no run of this process is ending."""
    pid = os.getpid()
    with _ending_lock:
        _ending[pid] = _ending.get(pid, 0) + 1
    try:
        yield
    finally:
        with _ending_lock:
            _ending[pid] -= 1
            held = _deferred.pop(pid, None) if _ending[pid] == 0 else None
        if held is not None:
            os.kill(pid, held)  # the handler runs again (main thread), now with nothing ending


def outcome(exc: BaseException | None) -> tuple[str, str | None]:
    """(status, notes) for a run that ends with `exc` (None: it ended normally)."""
    if exc is None or isinstance(exc, GeneratorExit):
        return "finished", None
    if isinstance(exc, KeyboardInterrupt):
        return "killed", "KeyboardInterrupt"
    if isinstance(exc, SystemExit) and exc.code in (None, 0):
        return "finished", None
    if isinstance(exc, RunStopped):
        return "stopped", str(exc)
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return "failed", text[-4000:]


def _mine() -> list[RunSurface]:
    pid = os.getpid()
    return [r for r in _active if r.state.pid == pid and not r.finished]


def _end_all(status: str, notes: str | None, timeout: float) -> None:
    for run in _mine():
        end = _enders[id(run)]
        if status == "finished" and run.interrupted:
            end(run, "killed", "SIGINT", timeout)
        else:
            end(run, status, notes, timeout)


def _at_exit() -> None:
    _end_all("finished", None, _EXIT_TIMEOUT)


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    try:
        status, notes = outcome(exc)
        _end_all(status, notes, _EXIT_TIMEOUT)
    finally:
        (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    pid = os.getpid()
    if signum != signal.SIGINT and _ending.get(pid):
        _deferred[pid] = signum  # see ending(): the final write finishes first
        if _ending.get(pid) or _deferred.pop(pid, None) is None:
            return  # still ending, or the ender took the signal and delivers it again
    previous = _previous_signal.get(signum, signal.SIG_DFL)
    if signum == signal.SIGINT:
        # Python turns SIGINT into KeyboardInterrupt, which training code may catch and
        # survive: flush now, but let the exception (or the exit) decide the status.
        for run in _mine():
            run.interrupted = True
            run.flush(_SIGINT_FLUSH_TIMEOUT)
    else:
        _end_all("killed", signal.Signals(signum).name, _SIGNAL_TIMEOUT)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def install(run: RunSurface, end: Callable[[RunSurface, str, str | None, float], None]) -> None:
    """Track `run` for the exit hooks; install the hooks once per process (the signal
    handlers on the first init() made in the main thread)."""
    global _installed_pid, _previous_excepthook, _signals_installed
    _active.append(run)
    _enders[id(run)] = end
    if _installed_pid is None:
        _installed_pid = os.getpid()
        atexit.register(_at_exit)
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    if _signals_installed or threading.current_thread() is not threading.main_thread():
        return
    _signals_installed = True
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous = signal.getsignal(signum)
            if previous == signal.SIG_IGN or previous is None:
                continue  # ignored on purpose (nohup), or set from C: leave it alone
            signal.signal(signum, _on_signal)
            _previous_signal[signum] = previous
        except (ValueError, OSError):
            pass


def forget(run: RunSurface) -> None:
    if run in _active:
        _active.remove(run)
    _enders.pop(id(run), None)
