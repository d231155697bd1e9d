"""The comparison table as text cells, and as CSV: one layout for the CLI, Markdown and HTML.

The numbers come from `analysis.compare` and the formats from `analysis.format`, so a value
reads the same in the terminal, a report and the web page ("+35.2%", "2h 6m 0s", "0.98M").
Runs are rows (best first) and fields are columns: that stays readable with 50 runs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from trainboard.analysis.compare import CELL_FORMATS, ComparedRun, Comparison, delta_text
from trainboard.analysis.table import raw_fields
from trainboard.jsonvalues import spell

__all__ = [
    "TROPHY",
    "WARNING",
    "Cell",
    "Table",
    "comparison_csv",
    "comparison_table",
    "delta_text",
    "differ_text",
]

TROPHY = "🏆"
WARNING = "⚠"


@dataclass(frozen=True)
class Cell:
    text: str
    best: bool = False  # the best value of its column: highlighted


@dataclass(frozen=True)
class Table:
    """`header[0]` is "run"; each row starts with the run's name (trophy / warning marked)."""

    header: list[str]
    keys: list[str]
    rows: list[list[Cell]]
    runs: list[ComparedRun]


def run_label(run: ComparedRun) -> str:
    marks = (f" {TROPHY}" if run.trophy else "") + (f" {WARNING}" if run.warning else "")
    return run.name + marks


def comparison_table(c: Comparison) -> Table:
    """The comparison's rows (as `c.rows` lists them) as columns of text cells."""
    specs = [row for row in c.rows if row.key in CELL_FORMATS]
    rows = []
    for r in c.runs:
        cells = [Cell(run_label(r))]
        for spec in specs:
            cells.append(Cell(CELL_FORMATS[spec.key](r), r.id in spec.best))
        rows.append(cells)
    return Table(["run", *(s.label for s in specs)], [s.key for s in specs], rows, list(c.runs))


def differ_text(n_diff: int, n_same: int) -> str:
    """ "2 parameters differ; 1 is the same in every run." """
    a = "1 parameter differs" if n_diff == 1 else f"{n_diff} parameters differ"
    b = f"{n_same} {'is' if n_same == 1 else 'are'} the same in every run."
    return f"{a}; {b}"


# The table's rows' raw fields (analysis.table.ROWS: one list for the table and the export),
# between the run's identity and its marks.
CSV_FIELDS = ("rank", "id", "name", "model", *raw_fields(), "trophy", "warning")


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return spell(v)


def comparison_csv(c: Comparison) -> str:
    """One row per run with raw numbers (full precision, empty when unknown), best first."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["metric", *CSV_FIELDS])
    for r in c.runs:
        d = r.to_json()
        w.writerow([c.metric or "", *(_csv_value(d[f]) for f in CSV_FIELDS)])
    return out.getvalue()
