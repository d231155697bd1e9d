"""The terminal side of `trainboard import tensorboard`: a progress bar over the bytes to
read, one line per run imported, and the live table of `--follow`."""

from __future__ import annotations

import time

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from trainboard.cli._common import console
from trainboard.integrations.tensorboard import (
    RunImport,
    check_logdir,
    follow,
    import_logdir,
    pending_bytes,
)
from trainboard.store.base import Store


def _line(r: RunImport) -> str:
    parts = [f"{r.points:,} points"]
    if r.histograms:
        parts.append(f"{r.histograms:,} histograms")
    if r.texts:
        parts.append(f"{r.texts:,} texts")
    return f"{r.name} ({r.run_id}): " + ", ".join(parts)


def import_once(store: Store, logdir: str, project: str | None) -> None:
    folders = check_logdir(logdir)
    total = pending_bytes(store, logdir, folders)
    out = console()
    bar = Progress(
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=out,
        transient=True,
        disable=not out.is_terminal,
    )
    with bar:
        task = bar.add_task("import", total=total)
        results = import_logdir(
            store,
            logdir,
            project=project,
            folders=folders,
            on_bytes=lambda n: bar.advance(task, n),
        )
    new = [r for r in results if r.grew]
    for r in new:
        out.print(f"imported {_line(r)}")
    out.print(
        f"{len(new)} of {len(results)} runs had something new "
        f"({sum(r.points for r in new):,} points)"
    )


def follow_logdir(store: Store, logdir: str, project: str | None, interval: float) -> None:
    out = console()
    out.print(f"following {logdir} (Ctrl+C to stop)")
    seen: set[str] = set()

    def report(results: list[RunImport]) -> None:
        for r in results:
            if r.run_id not in seen:
                seen.add(r.run_id)
                out.print(f"run {r.name} ({r.run_id})")
            elif r.points or r.histograms or r.texts:
                stamp = time.strftime("%H:%M:%S")
                out.print(f"{stamp} {_line(r)}")

    try:
        follow(store, logdir, project=project, interval=interval, on_pass=report)
    except KeyboardInterrupt:
        out.print("stopped following")
