"""The comparison table: one column per run (`ComparedRun`), its rows, and how each cell
reads. The terminal, the reports and the web page show these same texts (`cell_text`).

A run still running is compared on what it logged so far: its column says "so far, at step N
of M" (`so_far`), its delta reads "+12.0% so far", it is never flagged worse than the
threshold, and it cannot be archived or deleted from a comparison until it ends
(`can_archive`, with the reason in `archive_note`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from trainboard.analysis import format as fmt
from trainboard.store.records import Goal, Status

__all__ = [
    "CELL_FORMATS",
    "RAW_FIELDS",
    "ROWS",
    "ComparedRun",
    "Row",
    "best_at_text",
    "cell_text",
    "delta_text",
    "epoch_text",
    "raw_fields",
    "table_rows",
]


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


@dataclass
class ComparedRun:
    """One run's column of the comparison table."""

    id: str
    name: str
    project: str
    model: str | None
    status: Status
    archived: bool
    chosen: bool  # a person marked it as the one they chose
    created_at: float
    index: int  # position in the selection: the run's colour everywhere
    rank: int | None  # 1 = best; None when the run has no finite value of the metric
    best_value: float | None  # the run's best value of the metric (NaN when that is all it has)
    best_step: int | None
    best_epoch: float | None
    total_epochs: float | None
    total_steps: int | None
    best_at: str  # "epoch 11 of 12", "step 1200 of 2000", "—"
    last_step: int | None  # the metric's last logged step
    stopped_improving: bool | None  # best before the metric's last value
    delta_pct: float | None
    final_train_loss: float | None
    final_perplexity: float | None
    duration_s: float | None
    steps_per_s: float | None
    tokens_per_s: float | None
    tokens: float | None
    gpu_util: float | None
    gpu_mem_gb: float | None = None  # the peak memory of its busiest GPU
    gpu_mem_pct: float | None = None
    trophy: bool = False
    warning: bool = False
    so_far: str | None = None  # a running run: "so far, at step 140 of 2,000"
    can_archive: bool = True  # False while running: archive or delete once it ended
    archive_note: str | None = None  # why it cannot be archived yet
    key: str | None = None  # the run's own key for the measure compared on
    note: str | None = None  # why the run has no value: "no eval loss logged (logged: ...)"

    @property
    def running(self) -> bool:
        return self.status == "running"

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["text"] = {k: cell_text(self, k) for k in CELL_FORMATS}
        return d


def delta_text(run: ComparedRun) -> str:
    """ "best" for the winner, "+35.2%" for the others (always against the best run), "—"
    without a value; a running run's delta is what it is "so far"."""
    later = " so far" if run.running else ""
    if run.trophy:
        return f"best{later}"
    if run.delta_pct is None:
        return fmt.UNKNOWN
    return f"{fmt.delta_pct(run.delta_pct)}{later}"


# How each table field reads, in the terminal, the reports and the web page alike.
CELL_FORMATS: dict[str, Callable[[ComparedRun], str]] = {
    "best_value": lambda r: fmt.number(r.best_value) if r.note is None else "none",
    "delta_pct": delta_text,
    "best_at": lambda r: r.best_at,
    "final_train_loss": lambda r: fmt.number(r.final_train_loss),
    "final_perplexity": lambda r: fmt.number(r.final_perplexity, 2),
    "duration_s": lambda r: fmt.duration(r.duration_s),
    "steps_per_s": lambda r: fmt.rate(r.steps_per_s),
    "tokens_per_s": lambda r: fmt.rate(r.tokens_per_s),
    "tokens": lambda r: fmt.millions(r.tokens),
    "gpu_util": lambda r: fmt.percent(r.gpu_util),
    "gpu_mem_gb": lambda r: gpu_mem_text(r.gpu_mem_gb, r.gpu_mem_pct),
    "status": lambda r: r.status,
    "key": lambda r: r.key if r.key is not None else (r.note or fmt.UNKNOWN),
}


def gpu_mem_text(gb: float | None, pct: float | None) -> str:
    """ "12.3 GB (80%)", as the progress card writes GPU memory; "—" when not logged."""
    if gb is None:
        return fmt.UNKNOWN if pct is None else f"{pct:.0f}%"
    return f"{gb:.1f} GB" + ("" if pct is None else f" ({pct:.0f}%)")


def cell_text(run: ComparedRun, key: str) -> str:
    return CELL_FORMATS[key](run)


@dataclass(frozen=True)
class Row:
    """A row of the comparison table: which field, its label, which way is better, and the
    runs holding the best value (ties all highlighted; empty when no goal or no value)."""

    key: str
    label: str
    goal: Goal | None
    best: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "goal": self.goal, "best": list(self.best)}


def epoch_text(e: float) -> str:
    """ "3", "3.5", "0.35" (two digits below one epoch, where a tenth is a large share)."""
    if float(e).is_integer():
        return str(int(e))
    return f"{e:.2f}".rstrip("0") if abs(e) < 1 else f"{e:.1f}"


def best_at_text(
    best_step: int | None, epoch: float | None, epochs: float | None, total_steps: int | None
) -> str:
    """ "epoch 11 of 12", "epoch 3.5", "step 1200 of 2000", "step 1200", or "—"."""
    if epoch is not None and math.isfinite(epoch):
        text = f"epoch {epoch_text(epoch)}"
        return f"{text} of {epoch_text(epochs)}" if epochs else text
    if best_step is None:
        return "—"
    return f"step {best_step} of {total_steps}" if total_steps else f"step {best_step}"


# The table's rows, in order: (field, label, which way is better). The CSV export's columns
# follow them (report/cells.py, through RAW_FIELDS), so a row the table shows is never
# missing from the export.
ROWS: tuple[tuple[str, str, Goal | None], ...] = (
    ("best_value", "best value", None),  # its goal is the measure's; its label names it
    ("key", "key", None),
    ("delta_pct", "vs best", None),
    ("best_at", "best at", None),
    ("final_train_loss", "final train loss", "min"),
    ("final_perplexity", "final perplexity", "min"),
    ("duration_s", "training time", "min"),
    ("steps_per_s", "steps/s", "max"),
    ("tokens_per_s", "tokens/s", "max"),
    ("tokens", "tokens seen", None),
    ("gpu_util", "GPU utilisation %", "max"),
    ("gpu_mem_gb", "GPU memory (peak)", None),
    ("status", "status", None),
)

# The raw ComparedRun fields behind a row whose cell is made of several (or is text): what
# a CSV holds in its place, at full precision. Every other row is its own field.
RAW_FIELDS: dict[str, tuple[str, ...]] = {
    "best_at": ("best_step", "best_epoch", "total_epochs"),
    "gpu_mem_gb": ("gpu_mem_gb", "gpu_mem_pct"),
}


def raw_fields() -> tuple[str, ...]:
    """The raw fields of every row of the table, in row order."""
    return tuple(f for key, _, _ in ROWS for f in RAW_FIELDS.get(key, (key,)))


def _row_best(runs: Sequence[ComparedRun], key: str, goal: Goal | None) -> tuple[str, ...]:
    """Ids holding the best finite value of a row, for highlighting.

    Ties are judged on the text shown: runs that read the same as the best are all
    highlighted, and when every run reads the same nothing is (three runs of "0s" have no
    fastest, whatever the milliseconds say)."""
    if goal is None:
        return ()
    pool = runs
    if key == "duration_s":  # "fastest" only means something for runs that finished
        pool = [r for r in runs if r.status == "finished"]
    finite = [r for r in pool if _finite(getattr(r, key))]
    if not finite:
        return ()
    pick = min if goal == "min" else max
    top = cell_text(pick(finite, key=lambda r: float(getattr(r, key))), key)
    best = tuple(r.id for r in finite if cell_text(r, key) == top)
    return () if len(best) > 1 and len(best) == len(finite) else best


def table_rows(
    runs: Sequence[ComparedRun], metric: str | None, goal: Goal, *, mixed: bool = False
) -> list[Row]:
    """The rows; `metric` is how the measure reads ("eval loss", or the one key every run
    used). With `mixed` (the runs used different keys for it) a "key" row names each run's."""
    specs = [(k, label, g) if k != "best_value" else
             (k, f"best {metric}" if metric else label, goal) for k, label, g in ROWS]  # fmt: skip
    rows = []
    for key, label, g in specs:
        if key == "gpu_util" and all(r.gpu_util is None for r in runs):
            continue  # shown only when logged
        if key == "gpu_mem_gb" and all(
            r.gpu_mem_gb is None and r.gpu_mem_pct is None for r in runs
        ):
            continue
        if key == "key" and not mixed and all(r.note is None for r in runs):
            continue  # the label names the one key every run used
        best = _row_best(runs, key, g)
        if key == "best_value":  # ties all highlighted; the trophy still goes to one run
            best = tuple(r.id for r in runs if r.rank is not None and r.delta_pct == 0.0)
        rows.append(Row(key, label, g, best))
    return rows
