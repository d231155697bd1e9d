"""`trainboard archive RUN...` / `unarchive RUN...`: hide runs from lists, or bring them back
(archived is a flag, not a status; nothing is deleted)."""

from __future__ import annotations

import typer

from trainboard.cli._common import console, handles_errors, open_cli_store, resolve_runs

RUNS = typer.Argument(..., metavar="RUN...", help="Run ids, id prefixes or names.")


def _set(refs: list[str], archived: bool) -> None:
    with open_cli_store() as store:
        runs = resolve_runs(store, refs)
        store.set_archived([r.id for r in runs], archived)
    verb = "archived" if archived else "unarchived"
    names = ", ".join(f"{r.name} ({r.id})" for r in runs)
    console().print(f"{verb} {len(runs)} run{'s' if len(runs) != 1 else ''}: {names}")


def register(app: typer.Typer) -> None:
    @app.command("archive")
    @handles_errors
    def archive(runs: list[str] = RUNS) -> None:
        """Archive runs: hidden from `ls` and the Runs page unless asked for."""
        _set(runs, True)

    @app.command("unarchive")
    @handles_errors
    def unarchive(runs: list[str] = RUNS) -> None:
        """Bring archived runs back."""
        _set(runs, False)
