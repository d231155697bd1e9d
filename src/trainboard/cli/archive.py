"""`trainboard archive RUN...` / `unarchive RUN...`: hide runs from lists, or bring them back
(archived is a flag, not a status; nothing is deleted).

`archive --worse-than 25% [--model M] [--metric K]` picks the losers itself: runs more than
that much worse than the best run of their model group (cli/compare.py's archive_worse_than,
over analysis.compare). It prints what it would archive and does it only with --yes."""

from __future__ import annotations

from typing import Annotated

import typer

from trainboard.cli._common import (
    console,
    handles_errors,
    open_cli_store,
    record_action,
    resolve_runs,
)
from trainboard.cli.compare import archive_worse_than
from trainboard.errors import UsageError
from trainboard.store.records import RunRecord

RUNS_HELP = "Run ids, id prefixes or names."
WORSE_HELP = "Archive runs this much worse than their model group's best, e.g. 25%."
MODEL_HELP = "With --worse-than: only runs of this model."
METRIC_HELP = "With --worse-than: the deciding metric (default: eval loss, else train loss)."
YES_HELP = "With --worse-than: archive them (otherwise only list them)."


def _names(runs: list[RunRecord]) -> str:
    return ", ".join(f"{r.name} ({r.id})" for r in runs)


def _plural(n: int) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def _set(refs: list[str], archived: bool) -> None:
    with open_cli_store() as store:
        runs = resolve_runs(store, refs)
        store.set_archived([r.id for r in runs], archived)
        record_action(store, "archive" if archived else "unarchive", runs)
    verb = "archived" if archived else "unarchived"
    console().print(f"{verb} {_plural(len(runs))}: {_names(runs)}")


def register(app: typer.Typer) -> None:
    @app.command("archive")
    @handles_errors
    def archive(
        runs: Annotated[list[str] | None, typer.Argument(metavar="[RUN]...", help=RUNS_HELP)] = None,  # noqa: E501
        worse_than: Annotated[str | None, typer.Option("--worse-than", help=WORSE_HELP)] = None,
        model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
        metric: Annotated[str | None, typer.Option("--metric", help=METRIC_HELP)] = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help=YES_HELP)] = False,
    ) -> None:  # fmt: skip
        """Archive runs: hidden from `ls` and the Runs page unless asked for."""
        if worse_than is not None:
            if runs:
                raise UsageError("archive: give RUN... or --worse-than, not both")
            archive_worse_than(worse_than, model, metric, yes)
            return
        if not runs:
            raise UsageError("archive: give RUN... (or --worse-than PCT)")
        _set(runs, True)

    @app.command("unarchive")
    @handles_errors
    def unarchive(
        runs: Annotated[list[str], typer.Argument(metavar="RUN...", help=RUNS_HELP)],
    ) -> None:
        """Bring archived runs back."""
        _set(runs, False)
