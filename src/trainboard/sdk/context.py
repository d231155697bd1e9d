"""The current run, for module-level `trainboard.log()` and friends.

A ContextVar keeps runs of concurrent contexts (asyncio tasks, notebooks running several
trials) apart. New threads start with an empty context, so the run made last in this process
is the fallback: `trainboard.log()` from a helper thread still finds the run, as in wandb.

It holds runs by their `RunSurface` (sdk/surface.py): the end of a run (finish.py) clears it,
and run.py imports finish.py, so naming `Run` here would close a loop. `run.current_run()`
is the typed face for callers that want the `Run` itself.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface

_current: ContextVar[RunSurface | None] = ContextVar("trainboard_current_run", default=None)
_latest: list[RunSurface] = []  # at most one element: the run made last in this process


def current_run() -> RunSurface | None:
    """The active run of this context, else the latest active run of the process."""
    run = _current.get()
    if run is not None and not run.finished:
        return run
    if _latest and not _latest[0].finished:
        return _latest[0]
    return None


def set_current(run: RunSurface) -> None:
    _current.set(run)
    _latest[:] = [run]


def clear_current(run: RunSurface) -> None:
    """Forget `run` where it is current (a finished run is never current anyway)."""
    if _current.get() is run:
        _current.set(None)
    if _latest and _latest[0] is run:
        _latest.clear()
