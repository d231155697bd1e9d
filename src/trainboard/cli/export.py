"""`trainboard export RUN --format csv|json [-o FILE] [--media DIR]`: every stored point of a
run, written piece by piece as trainboard.exporting streams it (memory stays flat for any run
length); with `--media DIR` its images, audio, video and tables as files with a JSON index
(trainboard.mediaexport)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trainboard.cli._common import err_console, handles_errors, open_cli_store, resolve_run
from trainboard.exporting import iter_csv, iter_json


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
        media: Annotated[
            Path | None,
            typer.Option(
                "--media",
                help="Write the run's media (images, audio, video, tables) as files in this "
                "folder, with index.json; the metrics then go only to --output.",
            ),
        ] = None,
    ) -> None:  # fmt: skip
        """Export a run's metrics (NaN/inf written as "NaN", "Infinity", "-Infinity")."""
        with open_cli_store() as store:
            run = resolve_run(store, run_ref)
            if media is not None:
                from trainboard.mediaexport import export_media

                items = export_media(store, run.id, media)
                err_console().print(f"wrote {len(items)} media items of {run.name} to {media}")
                if output is None:
                    return
            pieces = iter_json(store, run.id) if fmt is Format.json else iter_csv(store, run.id)
            if output is None:
                out = sys.stdout.buffer
                for piece in pieces:
                    out.write(piece)
                out.flush()
                return
            with output.open("wb") as f:
                for piece in pieces:
                    f.write(piece)
        err_console().print(f"wrote {run.name} ({run.id}) as {fmt.value} to {output}")
