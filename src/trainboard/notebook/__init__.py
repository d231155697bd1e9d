"""Runs in Jupyter and Colab: live under the cell that trains, and `%trainboard`.

    run = trainboard.init(project="qwen-sft", total_steps=2000)   # in a notebook cell
    for step in ...:
        run.log({...}, step=step)          # the card and curves below the cell update ~1/s
    run.finish()                           # the last update is the final state

In a Jupyter kernel, `trainboard.init()` shows the run below its cell (`auto_display = False`
turns that off): the progress card (bar, step/total, ETA, steps/s, tokens/s, loss) and the
loss curves (train and eval, the best eval step ringed). A background thread reads the run
back from the store about once a second and updates one IPython display in place, so `log()`
is untouched. Every update is static HTML with inline SVG, so a notebook closed and opened
again shows the final state without a kernel. The numbers are `trainboard.analysis`'s.

`show(runs)` draws stored runs (ids, names or Run objects) the same way; several runs also
get the comparison (which won and why). `%load_ext trainboard.notebook` then `%trainboard`
starts the dashboard on 127.0.0.1 in the background and embeds it, as `%tensorboard` does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from trainboard.errors import MissingExtraError
from trainboard.notebook.dashboard import load_ipython_extension, start_dashboard
from trainboard.notebook.render import comparison_html, run_html

if TYPE_CHECKING:
    from trainboard.sdk.run import Run
    from trainboard.store.base import Store
    from trainboard.store.records import RunRecord, Series

__all__ = [
    "LiveDisplay",
    "attach",
    "auto_display",
    "load_ipython_extension",
    "run_html_for",
    "show",
    "start_dashboard",
]

auto_display = True  # trainboard.init() in a Jupyter kernel shows the run below its cell
REFRESH_S = 1.0  # how often the live display reads the store
_CURVE_POINTS = 400


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError as e:
        raise MissingExtraError("trainboard.notebook", "notebook", "ipython") from e
    return get_ipython()


def in_kernel() -> bool:
    """True inside a Jupyter kernel (a notebook, Colab, VS Code), not a terminal IPython."""
    try:
        shell = _ipython()
    except MissingExtraError:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def run_html_for(store: Store, record: RunRecord) -> str:
    """The card and curves of a stored run, from a fresh read of its progress and series."""
    from trainboard import roles
    from trainboard.analysis.card import card_for
    from trainboard.analysis.progress import progress_for

    p = progress_for(store, record)
    train = _series(store, record, p.loss_key)
    evals = _series(store, record, roles.eval_loss_key(record.summary, record.goals))
    return run_html(p, record, train, evals, card_for(store, record, p))


def _series(store: Store, record: RunRecord, key: str | None) -> Series | None:
    if key is None or key not in record.summary:
        return None
    return store.read_series(record.id, key, max_points=_CURVE_POINTS)


class LiveDisplay:
    """The live output of one run: one IPython display, updated in place from a thread."""

    def __init__(self, run: Run, store: Store) -> None:
        from IPython.display import HTML, display

        self.run = run
        self.store = store
        self.html = ""
        self._stop = threading.Event()
        start = HTML(f"<i>trainboard: {run.name} starting…</i>")  # type: ignore[no-untyped-call]
        self._handle = display(start, display_id=True)  # type: ignore[no-untyped-call]
        self._thread = threading.Thread(
            target=self._loop, name=f"trainboard-notebook-{run.id}", daemon=True
        )
        self._thread.start()

    def refresh(self) -> str:
        """Read the run back and update the display (returns the HTML shown)."""
        from IPython.display import HTML

        self.html = run_html_for(self.store, self.store.get_run(self.run.id))
        if self._handle is not None:
            self._handle.update(HTML(self.html))  # type: ignore[no-untyped-call]
        return self.html

    def _loop(self) -> None:
        while not self._stop.wait(REFRESH_S):
            try:
                self.refresh()
            except Exception:  # the store is briefly unreachable: keep the last drawing
                continue

    def close(self, status: str | None = None) -> None:
        """Draw the final state (called with the run's end status once its last write is in
        the store)."""
        self._stop.set()
        self._thread.join(5.0)
        try:
            self.refresh()
        except Exception:
            pass
        try:
            self.store.close()
        except Exception:
            pass


def attach(run: Run) -> LiveDisplay | None:
    """Show `run` live below the current cell (None outside a kernel, when `auto_display`
    is off, or for a run that does not record)."""
    if not auto_display or not run.enabled or not in_kernel():
        return None
    from trainboard.sdk.figures import remote_of
    from trainboard.sdk.selection import open_selected

    return LiveDisplay(run, open_selected(run.store_url, remote_of(run)))


def show(runs: Any, *, store: str | None = None, metric: str | None = None) -> Any:
    """Draw stored runs in the notebook: one run (an id, id prefix, name, or a Run) as its
    card and curves; several after their comparison (ranked on `metric`, default the deciding
    metric). `store` as for `trainboard.Api`. Returns the IPython HTML object (shown when it is
    the cell's last expression)."""
    from IPython.display import HTML

    from trainboard.analysis.compare import compare
    from trainboard.read import Api

    items = [runs] if isinstance(runs, str) or not isinstance(runs, Iterable) else list(runs)
    with Api(store) as api:
        records = [api.run(_ref(r)).record for r in items]
        parts = [run_html_for(api.store, r) for r in records]
        if len(records) > 1:
            parts.insert(0, comparison_html(compare(api.store, [r.id for r in records], metric)))
    return HTML("".join(parts))  # type: ignore[no-untyped-call]


def _ref(item: Any) -> str:
    run_id = getattr(item, "id", None)
    return run_id if isinstance(run_id, str) else str(item)
