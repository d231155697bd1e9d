"""`trainboard compare RUN... [--metric M] [--threshold T] [--json] [--format csv|md|html]`:
which run won, with the same numbers as the Compare page and the reports."""

from __future__ import annotations

import math
import sys

import typer
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from trainboard.analysis import format as fmt
from trainboard.analysis.compare import (
    DEFAULT_THRESHOLD_PCT,
    Comparison,
    compare,
    runs_worse_than,
)
from trainboard.analysis.rank import group_text
from trainboard.cli._common import (
    console,
    handles_errors,
    open_cli_store,
    record_action,
    resolve_runs,
)
from trainboard.cli._safe import escape_controls, escape_json_controls
from trainboard.errors import UsageError
from trainboard.report import FORMATS, render
from trainboard.report.cells import Table as ComparisonTable
from trainboard.report.cells import comparison_table
from trainboard.store.queries import RunQuery

RUNS = typer.Argument(..., metavar="RUN...", help="Run ids, id prefixes or names.")
METRIC = typer.Option(
    None,
    "--metric",
    "-m",
    help="Deciding metric: a key or a role (eval_loss, train_loss, eval_accuracy, quality...); "
    "each run is compared on its own key for it (default: eval loss, else train loss).",
)
THRESHOLD = typer.Option(
    DEFAULT_THRESHOLD_PCT, "--threshold", "-t", help="Warn on runs more than this % worse."
)


def run_comparison(refs: list[str], metric: str | None, threshold: float) -> Comparison:
    """Resolve run references (id, prefix or name) and compare them, in the order given."""
    with open_cli_store() as store:
        runs = resolve_runs(store, refs)
        return compare(store, [r.id for r in runs], metric, threshold)


def _wide_width(table: ComparisonTable) -> int:
    """Columns the wide form needs: each column's longest text, two spaces between."""
    columns = zip(table.header, *([c.text for c in row] for row in table.rows), strict=True)
    return sum(max(cell_len(t) for t in col) for col in columns) + 2 * (len(table.header) - 1)


def _transposed(table: ComparisonTable) -> Table:
    """The comparison with one row per column and one column per run, for a terminal too
    narrow for the wide form (an 80-column window with a dozen columns would crop every
    heading to "b…" and drop the run names)."""
    grid = Table(box=None, header_style="bold", pad_edge=False)
    grid.add_column("")
    for run, cells in zip(table.runs, table.rows, strict=True):
        grid.add_column(Text(cells[0].text, style="yellow" if run.warning else ""),
                        justify="right", no_wrap=True)  # fmt: skip
    for i, h in enumerate(table.header[1:], start=1):
        grid.add_row(
            Text(h), *(Text(r[i].text, style="bold green" if r[i].best else "") for r in table.rows)
        )
    return grid


def _config_diff_table(c: Comparison) -> Table:
    """One row per differing parameter and one column per run: runs are few and parameters
    many, so this keeps its width as the terminal narrows, and a value is never broken in the
    middle ("3e-0 / 5"); a run name may wrap instead."""
    diff = c.config_diff
    cfg = Table(title="config differences", title_justify="left", box=None,
                header_style="bold")  # fmt: skip
    cfg.add_column("parameter", no_wrap=True)
    for r in c.runs:
        cfg.add_column(Text(r.name), justify="right", no_wrap=True)
    for key, by_run in diff.params.items():
        vals = [by_run.get(r.id) for r in c.runs]
        cfg.add_row(Text(key), *(Text("—" if v is None else str(v)) for v in vals))
    return cfg


def print_comparison(c: Comparison) -> None:
    out = console()
    table = comparison_table(c)
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for i, h in enumerate(table.header):
        grid.add_column(Text(h), justify="left" if i == 0 else "right", no_wrap=i > 0)
    for run, cells in zip(table.runs, table.rows, strict=True):
        style = "yellow" if run.warning else ""
        grid.add_row(*(Text(x.text, style="bold green" if x.best else style) for x in cells))
    if _wide_width(table) > out.width:
        grid = _transposed(table)
    out.print(grid)
    rec = c.recommendation
    out.print()
    out.print(Text("Recommendation: ", style="bold") + Text(rec.text))
    diff = c.config_diff
    if diff.params:
        out.print()
        out.print(_config_diff_table(c))
    for a in diff.associations:
        out.print(Text(f"  {a.text}"))
    if diff.note and len(c.runs) > 1:
        out.print(Text(f"  {diff.note}", style="dim"))
    for group, trend in c.trends:
        out.print(Text(f"trend ({group_text(group)}): {trend.text}", style="dim"))


def register(app: typer.Typer) -> None:
    @app.command("compare")
    @handles_errors
    def compare_cmd(
        runs: list[str] = RUNS,
        metric: str | None = METRIC,
        threshold: float = THRESHOLD,
        as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
        format_: str | None = typer.Option(
            None, "--format", "-f", help=f"Print as one of: {', '.join(FORMATS)}."
        ),
    ) -> None:
        """Compare runs: the best run, each run's distance to it, and why."""
        if as_json and format_ not in (None, "json"):
            raise UsageError(f"--json and --format {format_} ask for two formats: pick one")
        c = run_comparison(runs, metric, threshold)
        fmt = "json" if as_json else format_
        if fmt is None:
            print_comparison(c)
            return
        text = render(c, fmt)
        text = escape_json_controls(text) if fmt == "json" else escape_controls(text)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def parse_percent(text: str) -> float:
    """ "25%" or "25" -> 25.0, for `archive --worse-than`."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--worse-than must be a percentage such as 25%, got {text!r}")
    return value


def archive_worse_than(worse_than: str, model: str | None, metric: str | None, yes: bool) -> None:
    """`trainboard archive --worse-than 25% [--model M] [--metric K] [--yes]`: list (and with
    --yes archive) the runs more than that much worse than the best of their model group."""
    pct = parse_percent(worse_than)
    out = console()
    with open_cli_store() as store:
        runs = store.list_runs(RunQuery(model=model))
        if model is not None and not runs:
            raise UsageError(f"no unarchived runs of model {model!r}")
        worse = runs_worse_than(runs, pct, model, metric)
        if not worse:
            out.print(f"no run is more than {pct:g}% worse than the best of its model group")
            return
        table = Table(box=None, header_style="bold", pad_edge=False)
        for h in ("run", "id", "model", "metric", "best", "vs best of group"):
            table.add_column(h, justify="right" if h in ("best", "vs best of group") else "left")
        for run, rank in worse:
            table.add_row(
                Text(run.name), run.id, Text(run.model or "—"), Text(rank.metric or "—"),
                fmt.number(rank.best_value), f"{rank.delta_pct:+.1f}%",
            )  # fmt: skip
        out.print(table)
        n = len(worse)
        if not yes:
            out.print(f"would archive {n} run{'s' if n != 1 else ''}; pass --yes to archive them")
            return
        store.set_archived([r.id for r, _ in worse], True)
        record_action(store, "archive", [r for r, _ in worse])
    out.print(f"archived {n} run{'s' if n != 1 else ''}")
