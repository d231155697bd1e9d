"""`trainboard watch RUN`: the live progress card in the terminal until the run ends."""

from __future__ import annotations

import time
from collections.abc import Callable

import typer

from trainboard.analysis.card import card_for
from trainboard.analysis.progress import Progress, progress_for
from trainboard.analysis.status import reconcile
from trainboard.cli._common import console, handles_errors, open_cli_store, resolve_run
from trainboard.cli._view import watch_frame
from trainboard.errors import RunNotFoundError
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

REFRESH_S = 0.25


def follow(
    store: Store,
    run_id: str,
    *,
    interval: float = REFRESH_S,
    keep_going: Callable[[], bool] | None = None,
) -> tuple[RunRecord, Progress]:
    """Show the run's progress until it is no longer running (or `keep_going()` says stop):
    a rich Live view on a terminal, one final frame otherwise. Returns the last state."""
    out = console()

    def state() -> tuple[RunRecord, Progress]:
        run = store.get_run(run_id)
        p = progress_for(store, run)
        if p.status != run.status:
            reconcile(store, [run])  # a dead process: persist "crashed" as ls would
        return run, p

    def running(p: Progress) -> bool:
        return p.status == "running" and (keep_going is None or keep_going())

    while True:
        try:
            run, p = state()
            break
        except RunNotFoundError:
            # the SDK creates the run from its writer thread: a watcher started right after
            # init() (the demo's) may look before it exists
            if keep_going is None or not keep_going():
                raise
            time.sleep(interval)
    if not out.is_terminal:
        while running(p):
            time.sleep(interval)
            run, p = state()
        run, p = state()  # stopped by keep_going: show where the run ended up
        out.print(watch_frame(run, p, card_for(store, run, p)))
        return run, p

    from rich.live import Live

    with Live(
        watch_frame(run, p, card_for(store, run, p)),
        console=out,
        refresh_per_second=4,
        transient=False,
    ) as live:
        while running(p):
            time.sleep(interval)
            run, p = state()
            live.update(watch_frame(run, p, card_for(store, run, p)))
        run, p = state()
        live.update(watch_frame(run, p, card_for(store, run, p)), refresh=True)
    return run, p


def register(app: typer.Typer) -> None:
    @app.command("watch")
    @handles_errors
    def watch(
        run_ref: str = typer.Argument(..., metavar="RUN", help="Run id, id prefix or name."),
        interval: float = typer.Option(
            REFRESH_S, "--interval", min=0.05, help="Seconds between refreshes."
        ),
    ) -> None:
        """Live progress of a run until it ends (exits 0 then)."""
        with open_cli_store() as store:
            run = resolve_run(store, run_ref)
            follow(store, run.id, interval=interval)
