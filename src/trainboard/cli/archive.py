"""`trainboard archive RUN...` / `unarchive RUN...`: hide runs from lists, or bring them back
(archived is a flag, not a status; nothing is deleted)."""

from __future__ import annotations

import typer

from trainboard.cli._common import console, handles_errors, open_cli_store, resolve_runs
from trainboard.errors import UsageError

RUNS = typer.Argument(..., metavar="RUN...", help="Run ids, id prefixes or names.")
OPTIONAL_RUNS = typer.Argument(None, metavar="[RUN...]", help="Run ids, id prefixes or names.")


def _set(refs: list[str], archived: bool) -> None:
    with open_cli_store() as store:
        runs = resolve_runs(store, refs)
        store.set_archived([r.id for r in runs], archived)
    verb = "archived" if archived else "unarchived"
    names = ", ".join(f"{r.name} ({r.id})" for r in runs)
    console().print(f"{verb} {len(runs)} run{'s' if len(runs) != 1 else ''}: {names}")


def register(app: typer.Typer) -> None:
    @app.command("archive")
    @handles_errors
    def archive(
        runs: list[str] | None = OPTIONAL_RUNS,
        worse_than: str | None = typer.Option(
            None,
            "--worse-than",
            help="Instead of RUN...: runs more than this % worse than the "
            "best of their model group, e.g. 25%.",
        ),
        model: str | None = typer.Option(None, "--model", help="With --worse-than: one model."),
        metric: str | None = typer.Option(None, "--metric", help="With --worse-than: metric."),
        yes: bool = typer.Option(False, "--yes", help="With --worse-than: archive, not list."),
    ) -> None:
        """Archive runs: hidden from `ls` and the Runs page unless asked for."""
        if worse_than is not None:  # the compare engineer's clean-up (#4)
            from trainboard.cli.compare import archive_worse_than

            if runs:
                raise UsageError("archive: give RUN... or --worse-than, not both")
            archive_worse_than(worse_than, model, metric, yes)
            return
        if not runs:
            raise UsageError("archive: give RUN... (or --worse-than PCT)")
        _set(runs, True)

    @app.command("unarchive")
    @handles_errors
    def unarchive(runs: list[str] = RUNS) -> None:
        """Bring archived runs back."""
        _set(runs, False)
