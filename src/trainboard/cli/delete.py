"""`trainboard delete RUN... [--yes]`: delete runs and all their data, after confirmation."""

from __future__ import annotations

from typing import Annotated

import click
import typer

from trainboard.cli._common import (
    EXIT_NOT_FOUND,
    console,
    err_console,
    handles_errors,
    open_cli_store,
    record_action,
    resolve_runs,
)


def register(app: typer.Typer) -> None:
    @app.command("delete")
    @handles_errors
    def delete(
        runs: Annotated[
            list[str], typer.Argument(metavar="RUN...", help="Run ids, prefixes or names.")
        ],
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Delete runs with their points, texts and histograms (asks first unless --yes)."""
        with open_cli_store() as store:
            found = resolve_runs(store, runs)
            names = ", ".join(f"{r.name} ({r.id})" for r in found)
            n = len(found)
            if not yes:
                console().print(f"about to delete {n} run{'s' if n != 1 else ''}: {names}")
                try:
                    ok = click.confirm("Delete them and all their data?", default=False)
                except click.exceptions.Abort:  # no input (EOF) or Ctrl+C
                    ok = False
                if not ok:
                    err_console().print("deleted nothing")
                    raise typer.Exit(EXIT_NOT_FOUND)
            deleted = store.delete_runs([r.id for r in found])
            record_action(store, "delete", found)
        console().print(f"deleted {deleted} run{'s' if deleted != 1 else ''}: {names}")
