"""`trainboard report --compare RUN... -o report.md|.html|.csv|.json`: a comparison report
written to a file (the format follows the file name)."""

from __future__ import annotations

from pathlib import Path

import typer

from trainboard.analysis.compare import DEFAULT_THRESHOLD_PCT
from trainboard.cli._common import console, handles_errors, open_cli_store
from trainboard.cli.compare import RUNS, run_comparison
from trainboard.errors import UsageError
from trainboard.report import format_for_path, render


def register(app: typer.Typer) -> None:
    @app.command("report")
    @handles_errors
    def report(
        runs: list[str] = RUNS,
        compare: bool = typer.Option(
            False, "--compare", help="A comparison report of RUN... (the report there is)."
        ),
        output: str = typer.Option(
            ..., "--output", "-o", help="File to write: .md, .html, .csv or .json."
        ),
        metric: str | None = typer.Option(None, "--metric", "-m", help="Deciding metric."),
        threshold: float = typer.Option(
            DEFAULT_THRESHOLD_PCT, "--threshold", "-t", help="Warn on runs this % worse."
        ),
        title: str | None = typer.Option(None, "--title", help="The report's title."),
        figures: bool = typer.Option(
            True,
            "--figures/--no-figures",
            help="Include the runs' curves (Markdown: a PNG beside the report; HTML: inline SVG).",
        ),
    ) -> None:
        """Write a comparison report of runs (Markdown, HTML, CSV or JSON)."""
        if not compare:
            raise UsageError("report: only comparison reports exist: pass --compare RUN...")
        fmt = format_for_path(output)  # before any work: a bad name fails fast
        c = run_comparison(runs, metric, threshold)
        path = Path(output)
        if path.parent and not path.parent.exists():
            raise UsageError(f"report: folder {str(path.parent)!r} does not exist")
        pictures: list[tuple[str, str]] = []
        if figures and fmt in ("md", "html"):
            from trainboard.report.pictures import report_figures

            with open_cli_store() as store:
                pictures = report_figures(store, [r.id for r in c.runs], fmt, path)
        path.write_text(render(c, fmt, title, pictures), encoding="utf-8")
        best = c.recommendation
        beside = f", curves in {pictures[0][1]}" if fmt == "md" and pictures else ""
        console().print(
            f"wrote {path} ({fmt}, {len(c.runs)} runs{beside}); {best.text}",
            markup=False,
            soft_wrap=True,
        )
