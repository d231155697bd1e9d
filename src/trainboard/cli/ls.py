"""`trainboard ls`: the runs, newest first (crashed ones marked as such on the way)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from trainboard.analysis import format as fmt
from trainboard.analysis.progress import progress_from_summary
from trainboard.analysis.status import reconcile
from trainboard.cli._common import console, handles_errors, open_cli_store, write_json
from trainboard.cli._view import status_text
from trainboard.errors import UsageError
from trainboard.jsonvalues import spell_all as json_safe
from trainboard.store.queries import RunQuery
from trainboard.store.records import STATUSES, RunRecord


def run_row(run: RunRecord, now: float) -> dict[str, Any]:
    """One run for `ls --json` (and `show --json`'s run): the stored fields plus progress."""
    p = progress_from_summary(run, now=now)
    return {
        "id": run.id,
        "name": run.name,
        "project": run.project,
        "model": run.model,
        "status": run.status,
        "archived": run.archived,
        "chosen": run.chosen,
        "tags": run.tags,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "total_steps": run.total_steps,
        "last_step": run.last_step,
        "duration_s": p.elapsed_s,
        "loss": json_safe(p.loss),
        "loss_key": p.loss_key,
        "progress": p.to_json(),
    }


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    @app.command("ls")
    @handles_errors
    def ls(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
        include_archived: bool = typer.Option(False, "--all", help="Include archived runs."),
        project: str | None = typer.Option(None, "--project", help="Only this project."),
        model: str | None = typer.Option(None, "--model", help="Only this model."),
        status: str | None = typer.Option(
            None, "--status", help="Only this status: " + ", ".join(STATUSES) + "."
        ),
    ) -> None:
        """List runs, newest first."""
        if status is not None and status not in STATUSES:
            raise UsageError(f"--status must be one of {', '.join(STATUSES)}, got {status!r}")
        now = time.time()
        with open_cli_store() as store:
            query = RunQuery(
                project=project, model=model, archived=None if include_archived else False
            )
            runs = store.list_runs(query)
            reconcile(store, runs)  # persist "crashed" for runs whose process died
        if status is not None:
            runs = [r for r in runs if r.status == status]
        if as_json:
            write_json([run_row(r, now) for r in runs])
            return
        out = console()
        if not runs:
            out.print("no runs" + ("" if include_archived else " (archived ones: --all)"))
            return
        table = Table(box=None, header_style="bold", pad_edge=False)
        table.add_column("id", no_wrap=True)
        for col in ("name", "project", "model"):
            table.add_column(col, overflow="ellipsis", max_width=32)
        for col in ("status", "progress", "loss", "duration"):
            table.add_column(col, no_wrap=True)
        table.add_column("created", no_wrap=True)
        for r in runs:
            p = progress_from_summary(r, now=now)
            prog = "—"
            if p.step is not None:
                prog = f"{p.step:,}" + (
                    f"/{p.total_steps:,} {p.percent:.0f}%"
                    if p.total_steps and p.percent is not None
                    else ""
                )
            status_cell = status_text(r.status)
            if r.archived:
                status_cell.append(" (archived)", style="dim")
            table.add_row(
                r.id, Text(r.name), Text(r.project), Text(r.model or "—"), status_cell, prog,
                fmt.number(p.loss), fmt.duration(p.elapsed_s), _when(r.created_at),
            )  # fmt: skip
        out.print(table)
