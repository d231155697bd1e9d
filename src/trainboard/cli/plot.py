"""`trainboard plot RUN... -o dashboard.png|pdf|svg [--images KEY]`: the six-panel figure of runs,
overlaid (with a strip of one key's images under it);
`--all-charts -o DIR` writes each run's chart set (the files written during training)."""

from __future__ import annotations

from pathlib import Path

import typer

from trainboard.cli._common import console, handles_errors, open_cli_store, resolve_runs
from trainboard.errors import UsageError

RUNS = typer.Argument(..., metavar="RUN...", help="Run ids, id prefixes or names.")


def register(app: typer.Typer) -> None:
    @app.command("plot")
    @handles_errors
    def plot(
        runs: list[str] = RUNS,
        output: str = typer.Option(
            ...,
            "--output",
            "-o",
            help="File to write (.png, .pdf, .svg); a folder with --all-charts.",
        ),
        smooth: int | None = typer.Option(
            None, "--smooth", min=1, help="Add an N-step moving average over each raw line."
        ),
        dpi: float = typer.Option(100.0, "--dpi", min=10, max=1200, help="Dots per inch (PNG)."),
        size: str | None = typer.Option(
            None, "--size", help="WIDTHxHEIGHT in inches, e.g. 15x8 (default: fits the panels)."
        ),
        style: str = typer.Option("light", "--style", help="light or dark."),
        title: str | None = typer.Option(None, "--title", help="The figure's title."),
        images: str | None = typer.Option(
            None, "--images", help="Add a strip of the images logged as this key under the figure."
        ),
        all_charts: bool = typer.Option(
            False,
            "--all-charts",
            help="Write every run's chart set and JSON history into a folder.",
        ),
    ) -> None:
        """Draw runs as a six-panel figure (loss, perplexity, accuracy, learning rate, gradient
        norm, step time and throughput), or write their chart sets."""
        from trainboard.report.drawing import STYLES, format_of, parse_size

        if style not in STYLES:
            raise UsageError(f"plot: --style must be one of {', '.join(STYLES)}, got {style!r}")
        inches = parse_size(size)
        out = Path(output)
        if all_charts:
            _all_charts(runs, out, smooth, dpi, style)
            return
        format_of(out)  # a bad name fails before any work
        if not out.parent.is_dir():
            raise UsageError(f"plot: folder {str(out.parent)!r} does not exist")
        from trainboard.report.drawing import figure, save_figure

        with open_cli_store() as store:
            records = resolve_runs(store, runs)
            fig = figure(
                records, store, smooth=smooth, size=inches, dpi=dpi, style=style, title=title
            )
            if images is not None:
                from trainboard.report.mediastrip import add_image_strip

                add_image_strip(fig, store, records, images)
        save_figure(fig, out, style)
        panels = sum(1 for ax in fig.axes if ax.get_title(loc="left"))
        console().print(
            f"wrote {out} ({panels} panels, {len(records)} runs)", markup=False, soft_wrap=True
        )


def _all_charts(refs: list[str], out: Path, smooth: int | None, dpi: float, style: str) -> None:
    from trainboard.report.charts import write_charts

    if out.exists() and not out.is_dir():
        raise UsageError(f"plot --all-charts: {str(out)!r} is a file; give a folder")
    with open_cli_store() as store:
        records = resolve_runs(store, refs)
        for r in records:
            where = out if len(records) == 1 else out / r.id
            written = write_charts(store, r.id, where, smooth=smooth or 50, dpi=dpi, style=style)
            console().print(
                f"wrote {len(written)} files to {where} ({r.name})", markup=False, soft_wrap=True
            )
