"""`trainboard show RUN`: config, summary, progress and the health verdict of one run."""

from __future__ import annotations

import json
import time
from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text

from trainboard.analysis import format as fmt
from trainboard.analysis.health import health_for
from trainboard.analysis.progress import progress_for
from trainboard.analysis.rundoc import run_document
from trainboard.cli._common import console, handles_errors, open_cli_store, resolve_run, write_json
from trainboard.cli._view import health_panel, progress_panel


def register(app: typer.Typer) -> None:
    @app.command("show")
    @handles_errors
    def show(
        run_ref: str = typer.Argument(..., metavar="RUN", help="Run id, id prefix or name."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    ) -> None:
        """Show one run: progress, health, config and metric summaries."""
        now = time.time()
        with open_cli_store() as store:
            run = resolve_run(store, run_ref)
            if as_json:  # the same document as GET /api/v1/runs/{id}
                write_json(run_document(store, run, now))
                return
            progress = progress_for(store, run, now=now)
            health = health_for(store, run, now=now)
            run_summary = store.read_run_values(run.id, "summary")
            events = store.read_events(run.id)
        out = console()
        out.print(progress_panel(run, progress))
        out.print(health_panel(health))
        info = Table.grid(padding=(0, 2))
        created = datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M:%S")
        for label, value in (
            ("project", run.project),
            ("tags", ", ".join(run.tags) or "—"),
            ("created", created),
            ("archived", "yes" if run.archived else "no"),
            ("notes", run.notes or "—"),
        ):
            info.add_row(Text(label, style="dim"), Text(value))
        out.print(info)
        if run.config:
            cfg = Table(title="config", title_justify="left", box=None, header_style="bold")
            cfg.add_column("key")
            cfg.add_column("value", overflow="fold")
            for k in sorted(run.config):
                v = run.config[k]
                cfg.add_row(Text(k), Text(v if isinstance(v, str) else json.dumps(v)))
            out.print(cfg)
        if run.summary:
            summ = Table(title="metrics", title_justify="left", box=None, header_style="bold")
            for col in ("key", "last", "min", "max", "points"):
                summ.add_column(col, justify="left" if col == "key" else "right")
            for k in sorted(run.summary):
                s = run.summary[k]
                summ.add_row(
                    Text(k),
                    f"{fmt.number(s.last)} @{s.last_step:,}",
                    f"{fmt.number(s.min)} @{s.min_step:,}",
                    f"{fmt.number(s.max)} @{s.max_step:,}",
                    fmt.integer(s.count),
                )
            out.print(summ)
        if run_summary:
            own = Table(title="summary", title_justify="left", box=None, header_style="bold")
            own.add_column("key")
            own.add_column("value", overflow="fold")
            for k, v in run_summary.items():
                own.add_row(Text(k), Text(v if isinstance(v, str) else json.dumps(v)))
            out.print(own)
        if events:
            alerts = Table(title="alerts", title_justify="left", box=None, header_style="bold")
            for col in ("time", "level", "step", "title", "text"):
                alerts.add_column(col, overflow="fold")
            for e in events:
                when = datetime.fromtimestamp(e.wall_time).strftime("%Y-%m-%d %H:%M:%S")
                step = "—" if e.step is None else f"{e.step:,}"
                alerts.add_row(when, e.level.upper(), step, Text(e.title), Text(e.text))
            out.print(alerts)
