"""`trainboard export RUN --format csv|json [-o FILE]`: every stored point of a run."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trainboard.cli._common import err_console, handles_errors, open_cli_store, resolve_run
from trainboard.exporting import export_json_bytes, iter_csv


class Format(StrEnum):
    csv = "csv"
    json = "json"


def register(app: typer.Typer) -> None:
    @app.command("export")
    @handles_errors
    def export(
        run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id, id prefix or name.")],
        fmt: Annotated[
            Format,
            typer.Option(
                "--format", "-f",
                help="csv: one row per step, one column per metric; json: points per metric.",
            ),
        ] = Format.csv,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write here, not stdout.")
        ] = None,
    ) -> None:  # fmt: skip
        """Export a run's metrics (NaN/inf written as "NaN", "Infinity", "-Infinity")."""
        with open_cli_store() as store:
            run = resolve_run(store, run_ref)
            if fmt is Format.json:
                data = export_json_bytes(store, run.id)
            else:
                data = "".join(iter_csv(store, run.id)).encode()
        if output is None:
            sys.stdout.write(data.decode())
            sys.stdout.flush()
            return
        output.write_bytes(data)
        err_console().print(f"wrote {run.name} ({run.id}) as {fmt.value} to {output}")
